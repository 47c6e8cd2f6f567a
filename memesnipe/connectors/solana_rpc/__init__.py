"""Solana JSON-RPC: token safety facts (mint/freeze authority, top holders) and the calls live
execution needs (blockhash, balance, send, signature status)."""

from memesnipe.connectors.solana_rpc.client import SolanaRpcClient

__all__ = ["SolanaRpcClient"]
