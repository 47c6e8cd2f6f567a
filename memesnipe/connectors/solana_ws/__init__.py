"""Solana JSON-RPC websocket subscriptions (logsSubscribe, programSubscribe) with reconnect,
resubscribe, heartbeats and gap backfill from history."""

from memesnipe.connectors.solana_ws.client import (
    AccountItem,
    Backoff,
    LogsItem,
    SolanaWsClient,
    Subscription,
)

__all__ = ["AccountItem", "Backoff", "LogsItem", "SolanaWsClient", "Subscription"]
