"""Books against the chain: what the positions say the wallet holds, compared with what it holds.

The position manager's latest ``PositionUpdate`` per (instance, mint) is the books; a long's
``qty_tokens`` are tokens in the wallet (shorts live in the perp venue's account, not in token
accounts, so they are not counted here). The chain's side is the wallet's token accounts by mint
(both token programs). A mint whose two numbers differ beyond the tolerance is a mismatch; the
reconciliation record carries both numbers, so the chain's can be adopted explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from memesnipe.streams.trading import PositionStatus, PositionUpdate, Side

SPOT_SIDES = frozenset({Side.BUY, Side.SELL})


def latest_positions(updates: Iterable[PositionUpdate]) -> dict[tuple[str, str], PositionUpdate]:
    """The latest update per (instance, mint): by ``seq`` (the position manager's own order),
    then by event time for updates without one."""
    out: dict[tuple[str, str], PositionUpdate] = {}
    for u in updates:
        key = (u.instance_id, u.mint)
        prev = out.get(key)
        if prev is None or (u.seq, u.ts) >= (prev.seq, prev.ts):
            out[key] = u
    return out


def book_holdings(positions: Mapping[tuple[str, str], PositionUpdate]) -> dict[str, int]:
    """Token base units the books say the wallet holds, by mint (open spot longs only)."""
    out: dict[str, int] = {}
    for (_instance, mint), p in positions.items():
        if p.status is PositionStatus.OPEN and p.side in SPOT_SIDES and p.qty_tokens > 0:
            out[mint] = out.get(mint, 0) + p.qty_tokens
    return out


@dataclass(frozen=True, slots=True)
class Holding:
    mint: str
    books: int
    chain: int

    @property
    def difference(self) -> int:
        """Chain minus books: positive = the wallet holds more than the books know."""
        return self.chain - self.books


def compare(
    books: Mapping[str, int], chain: Mapping[str, int], *, tolerance: int = 0, ignore: Iterable[str] = ()
) -> tuple[list[Holding], list[Holding]]:
    """(every mint of either side, the mismatched ones) in mint order; ``ignore``: mints that are
    not positions (wSOL, the quote currency)."""
    skip = set(ignore)
    mints = sorted((set(books) | {m for m, q in chain.items() if q}) - skip)
    rows = [Holding(m, books.get(m, 0), chain.get(m, 0)) for m in mints]
    return rows, [h for h in rows if abs(h.difference) > tolerance]
