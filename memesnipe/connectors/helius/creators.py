"""Creators' holdings after their sales, so dev_wallet_drain weighs a sale against what the
creator still holds instead of against what it was seen to receive (a creator that bought
unseen would otherwise be counted as selling all it has).

The creators are the configured CREATOR_WALLETS and those learnt from creations in the polled
pages (``CREATE`` / ``TOKEN_MINT``: the fee payer; a newly watched mint's first page holds its
creation). A ``SWAP`` in which a known creator sends its token is a sale: the connector reads the
creator's balance of that mint (Solana RPC getTokenAccountsByOwner, mint filter) once per page and
puts it on the sale's SWAP / DEV_SELL as ``wallet_balance_tokens``. The read is the balance when
the page is fetched, seconds after the sale; two sales in one page both carry the later balance.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.helius.parse import QUOTE_MINTS
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.streams.market import OnChainEvent, OnChainKind, TradeDirection

log = logging.getLogger(__name__)
LEARNT_MAX = 100_000  # creators remembered (mint -> wallet), oldest forgotten first
_CREATIONS = ("CREATE", "TOKEN_MINT")


def _txs(page: Any) -> Iterable[dict[str, Any]]:
    """The page's well-formed transactions, oldest first (anything else the parser dead-letters)."""
    txs = [t for t in page if isinstance(t, dict)] if isinstance(page, list) else []
    return sorted(txs, key=lambda t: (t.get("slot") or 0, t.get("timestamp") or 0))


def _moved(tx: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for t in tx.get("tokenTransfers") or []:
        if isinstance(t, dict) and isinstance(t.get("mint"), str) and t["mint"] not in QUOTE_MINTS:
            yield t


class CreatorBalances:
    def __init__(self, configured: Mapping[str, str]) -> None:
        self.configured = dict(configured)
        self.learnt: OrderedDict[str, str] = OrderedDict()

    def creator(self, mint: str) -> str | None:
        return self.configured.get(mint) or self.learnt.get(mint)

    def sales(self, page: Any) -> set[tuple[str, str]]:
        """(creator, mint) of each sale by a known creator in the page, learning creators first."""
        out: set[tuple[str, str]] = set()
        for tx in _txs(page):
            if tx.get("transactionError") is not None:
                continue
            payer = tx.get("feePayer")
            if not isinstance(payer, str) or not payer:
                continue
            if tx.get("type") in _CREATIONS:
                for t in _moved(tx):
                    self.learnt[t["mint"]] = payer
                    self.learnt.move_to_end(t["mint"])
                    if len(self.learnt) > LEARNT_MAX:
                        self.learnt.popitem(last=False)
            elif tx.get("type") == "SWAP":
                for t in _moved(tx):
                    if t.get("fromUserAccount") == payer and self.creator(t["mint"]) == payer:
                        out.add((payer, t["mint"]))
        return out

    async def read(self, rpc: SolanaRpcClient, sales: set[tuple[str, str]]) -> dict[str, float]:
        """``"wallet:mint"`` -> the balance now; a failed read is left out (the strategy then
        tracks the balance itself)."""
        out: dict[str, float] = {}
        for wallet, mint in sorted(sales):
            try:
                out[f"{wallet}:{mint}"] = await rpc.get_token_balance(wallet, mint)
            except ProviderError as exc:
                log.warning("helius: balance of creator %s in %s: %s", wallet, mint, exc)
        return out


def with_balances(events: list[OnChainEvent], balances: Mapping[str, float]) -> list[OnChainEvent]:
    """The creators' sales (SELL SWAPs, DEV_SELLs) with the balance read after them."""
    if not balances:
        return events
    out = []
    for ev in events:
        held = balances.get(f"{ev.wallet}:{ev.mint}")
        sale = ev.kind is OnChainKind.DEV_SELL or (
            ev.kind is OnChainKind.SWAP and ev.direction is TradeDirection.SELL
        )
        out.append(
            msgspec.structs.replace(ev, wallet_balance_tokens=held) if sale and held is not None else ev
        )
    return out
