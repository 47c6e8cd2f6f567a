"""The reconciler's record: the books against the wallet on chain at one moment."""

from __future__ import annotations

import msgspec

from memesnipe.streams.base import Message, UtcDatetime


class HoldingRow(msgspec.Struct, frozen=True, array_like=True):
    mint: str
    books: int
    chain: int


class Reconciliation(Message, frozen=True, kw_only=True):
    """``holdings``: every mint either side knows (token base units); ``mismatches``: those that
    differ beyond the tolerance; ``sol_lamports``: the wallet's SOL. Keyed by the wallet on the
    ``reconciliations`` topic; the chain's numbers are the ones to adopt."""

    wallet: str
    ts: UtcDatetime
    slot: int | None = None
    sol_lamports: int
    holdings: tuple[HoldingRow, ...] = ()
    mismatches: tuple[HoldingRow, ...] = ()
    reason: str = ""  # what triggered it: "schedule" or "fill <id>"
