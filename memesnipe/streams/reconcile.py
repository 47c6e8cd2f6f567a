"""The reconciler's record: the books against the wallet on chain at one moment."""

from __future__ import annotations

import msgspec

from memesnipe.streams.base import Message, UtcDatetime


class HoldingRow(msgspec.Struct, frozen=True, array_like=True):
    mint: str
    books: int
    chain: int


class AdoptionRow(msgspec.Struct, frozen=True, array_like=True):
    """The books of one position took the chain's amount: ``delta`` tokens (the fill ``fill_id``)."""

    instance_id: str
    mint: str
    delta: int
    fill_id: str


class Reconciliation(Message, frozen=True, kw_only=True):
    """``holdings``: every mint either side knows (token base units); ``mismatches``: those that
    differ beyond the tolerance; ``sol_lamports``: the wallet's SOL. Keyed by the wallet on the
    ``reconciliations`` topic; the chain's numbers are the ones to adopt: ``adopted`` lists the
    adoption fills sent for them (the books apply those), ``equity_lamports`` is the wallet's value
    that live equity, drawdown and the kill switch use."""

    wallet: str
    ts: UtcDatetime
    slot: int | None = None
    sol_lamports: int
    holdings: tuple[HoldingRow, ...] = ()
    mismatches: tuple[HoldingRow, ...] = ()
    reason: str = ""  # what triggered it: "schedule" or "fill <id>"
    adopted: tuple[AdoptionRow, ...] = ()  # mismatches the books were told to take (fills sent)
    unadopted: tuple[str, ...] = ()  # mismatched mints left as they are, each with why
    equity_lamports: int = 0  # the wallet's value (SOL + wSOL + tokens at the books' mark); 0 while
    # the books and the chain differ at this reading (a fill on its way): not settled, not a value
    unpriced: tuple[str, ...] = ()  # mints held that no position prices (valued 0)
