"""Ledger marks: one strategy's PnL on one mint, from the per-mint ledger stage to the
single-partition ledger topic (keyed by instance_id) read by the allocator and the monitor."""

from __future__ import annotations

from memesnipe.streams.base import Message, Mint, UtcDatetime


class LedgerMark(Message, frozen=True, kw_only=True):
    """Cumulative PnL of (instance, mint) at ``ts``; ``seq`` rises with every change, so a
    replayed mark (same seq) is recognised and ignored downstream."""

    instance_id: str
    mint: Mint
    ts: UtcDatetime
    realized_lamports: int
    unrealized_lamports: int
    seq: int
    qty_tokens: int = 0
    shadow: bool = False  # the strategy's shadow book (hypothetical fills, core.shadow), not its own
