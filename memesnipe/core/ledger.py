"""Performance ledger: per-strategy realized and unrealized PnL by mint, and the per-period
returns the allocator's Sharpe is computed on (pure, event time).

Two levels, matching the two Faust stages that keep them:

- :class:`PositionsPnl` (per strategy instance and mint, in the mint's partition): the PnL the
  position manager reports on the positions topic (``core.positions`` is the one accounting),
  summed over the strategy's positions in the mint: ``realized`` is cumulative for the
  (instance, mint) pair and never resets, net of every cost; ``unrealized`` is the open
  positions' net unrealized PnL. :class:`PositionPnl` is the shadow book's (hypothetical fills
  of refused entries, ``core.shadow``): average cost (``core.positions.reduce_at_average_cost``)
  from fills and marks from price events.
- :class:`StrategyLedger` (per instance, in the single-partition ledger stage): the latest
  (realized, unrealized) of each of its mints; closes a period each time event time crosses a
  ``period_s`` boundary, recording ``return = (PnL at close - PnL at previous close) / capital``
  where PnL = realized + unrealized summed over mints and ``capital`` is the portfolio's base
  capital (constant, so the Sharpe is the Sharpe of the PnL stream). Periods in which nothing
  happened are zero returns; a late mark (older than the open period) is applied to the open
  period. Only the last ``keep`` returns are kept.
"""

from __future__ import annotations

import math

import msgspec

from memesnipe.core.bounded import remember
from memesnipe.core.positions import reduce_at_average_cost
from memesnipe.streams.base import LAMPORTS_PER_SOL

OPEN_SIDES = {"buy": "long", "short": "short"}
REDUCE_SIDES = {"sell": "long", "cover": "short"}


class PositionPnl(msgspec.Struct, kw_only=True):
    """One strategy's PnL on one mint. ``mark_lpu`` is the mark in lamports per base unit."""

    direction: str = ""  # "long" | "short" | "" when flat
    qty: int = 0
    basis: int = 0
    realized: int = 0
    mark_lpu: float = 0.0
    ts: float = 0.0
    seq: int = 0  # bumped at every change; the ledger stage keeps the highest
    emitted_ts: float = -math.inf

    @property
    def unrealized(self) -> int:
        if self.qty <= 0 or self.mark_lpu <= 0:
            return 0
        value = round(self.qty * self.mark_lpu)
        return value - self.basis if self.direction == "long" else self.basis - value

    def apply_fill(self, side: str, qty: int, notional: int, cost: int, ts: float) -> None:
        """Average cost: opens add qty and basis; reduces release basis pro rata."""
        if side not in OPEN_SIDES and side not in REDUCE_SIDES:
            raise ValueError(f"unknown fill side {side!r}")
        if side in OPEN_SIDES and self.qty > 0 and self.direction != OPEN_SIDES[side]:
            raise ValueError(f"{side} fill while a {self.direction} position is open")
        if side in REDUCE_SIDES and self.qty > 0 and self.direction != REDUCE_SIDES[side]:
            raise ValueError(f"{side} fill cannot reduce a {self.direction} position")
        self.realized -= cost
        if side in OPEN_SIDES:
            self.direction = OPEN_SIDES[side]
            self.qty += qty
            self.basis += notional
        elif side in REDUCE_SIDES:
            r = reduce_at_average_cost(self.qty, self.basis, 0, qty, notional, long=self.direction == "long")
            if r.qty > 0:
                self.realized += r.gross
                self.qty -= r.qty
                self.basis -= r.basis
            if self.qty == 0:
                self.basis = 0
                self.direction = ""
        if qty > 0 and notional > 0:
            self.mark_lpu = notional / qty
        self.ts = max(self.ts, ts)
        self.seq += 1

    def apply_mark(self, price_sol: float, decimals: int, ts: float) -> bool:
        """Mark to ``price_sol`` per whole token; True if the position is open (PnL moved)."""
        if self.qty <= 0 or price_sol <= 0 or ts < self.ts:
            return False
        self.mark_lpu = price_sol * LAMPORTS_PER_SOL / 10**decimals
        self.ts = ts
        self.seq += 1
        return True


CLOSED_IDS_KEEP = 256
"""Closed position ids a :class:`PositionsPnl` remembers (a re-sent update of one is ignored)."""


class HeldPnl(msgspec.Struct, array_like=True):
    """The latest update of one open position: its ``seq`` and net PnL (lamports), quantity."""

    seq: int
    realized: int
    unrealized: int
    qty: int


class PositionsPnl(msgspec.Struct, kw_only=True):
    """One strategy's PnL on one mint, read from the position manager's updates (the positions
    topic) instead of recomputed: the one accounting is ``core.positions``.

    A strategy may hold a long and a short, and opens a new position after each close, so the
    mint's PnL is the realized net PnL of its closed positions (``closed``) plus the latest net
    realized and unrealized of each open one (``open``, by position id). An update is applied
    once: one older than the position's latest (``seq``) or of a closed position is ignored
    (``closed_ids``, the newest :data:`CLOSED_IDS_KEEP`; a re-sent update comes within seconds,
    long before 256 further positions of one strategy closed on one token). ``seq`` rises with
    every applied update: it is the ledger mark's.
    """

    closed: int = 0
    open: dict[str, HeldPnl] = {}
    closed_ids: list[str] = []
    seq: int = 0
    ts: float = 0.0
    emitted_ts: float = -math.inf
    emitted_realized: int = 0
    emitted_qty: int = 0

    @property
    def realized(self) -> int:
        return self.closed + sum(h.realized for h in self.open.values())

    @property
    def unrealized(self) -> int:
        return sum(h.unrealized for h in self.open.values())

    @property
    def qty(self) -> int:
        return sum(h.qty for h in self.open.values())

    def apply(
        self, position_id: str, seq: int, is_open: bool, realized: int, unrealized: int, qty: int, ts: float
    ) -> bool:
        """Apply one position update; False for a stale or repeated one."""
        if position_id in self.closed_ids:
            return False
        cur = self.open.get(position_id)
        if cur is not None and seq <= cur.seq:
            return False
        if is_open:
            self.open[position_id] = HeldPnl(seq, realized, unrealized, qty)
        else:
            self.open.pop(position_id, None)
            self.closed += realized
            self.closed_ids.append(position_id)
            if len(self.closed_ids) > CLOSED_IDS_KEEP:
                del self.closed_ids[: len(self.closed_ids) - CLOSED_IDS_KEEP]
        self.seq += 1
        self.ts = max(self.ts, ts)
        return True

    def due(self, interval_s: float) -> bool:
        """Whether a mark should go out now: a fill moved the quantity or the realized PnL, or
        ``interval_s`` of event time passed since the last mark (price moves only). Records it
        as emitted if so."""
        now = (self.realized, self.qty)
        if now == (self.emitted_realized, self.emitted_qty) and self.ts - self.emitted_ts < interval_s:
            return False
        (self.emitted_realized, self.emitted_qty), self.emitted_ts = now, self.ts
        return True


class MintPnl(msgspec.Struct, array_like=True):
    realized: int
    unrealized: int
    seq: int


MINTS_KEEP = 256
"""Mints a strategy's ledger keeps with their latest mark, per book (own, shadow); beyond it the
least recently marked flat mint (no unrealized PnL) is retired (see :class:`StrategyLedger`)."""
RETIRED_KEEP = 4096
"""Retired mints whose last mark is remembered, per book (the least recently retired forgotten)."""


class StrategyLedger(msgspec.Struct, kw_only=True):
    """One strategy's PnL by mint and its closed per-period returns.

    Bounded: ``mints`` (and ``shadow_mints``) hold at most ``MINTS_KEEP`` entries, most recently
    marked last. Beyond that, the least recently marked *flat* mint is retired: its PnL (all
    realized) moves into ``retired_pnl`` and its last mark into ``retired`` (at most
    ``RETIRED_KEEP``), so the sums do not change. A mark of a retired mint is judged against
    that last mark: a stale or re-sent one (``seq`` not higher; the ledger stage re-sends
    the same ``seq`` after a crash) is ignored, a newer one brings the mint back (its realized
    PnL is cumulative, so the retired amount is taken out again). Open mints are never retired.
    The one case the bound gives up: a mint marked again after ``RETIRED_KEEP`` other mints
    retired since it would count its earlier realized PnL twice; memecoin strategies rarely
    return to a token, and never after thousands of others.
    """

    mints: dict[str, MintPnl] = {}
    period: int = -1  # index of the open period (ts // period_s); -1 before the first mark
    close_pnl: int = 0  # PnL at the close of the previous period
    returns: list[float] = []
    # the shadow book (core.shadow): hypothetical PnL by mint, and returns of own + shadow PnL
    shadow_mints: dict[str, MintPnl] = {}
    shadow_close_pnl: int = 0
    shadow_returns: list[float] = []
    retired_pnl: int = 0
    retired: dict[str, MintPnl] = {}
    shadow_retired_pnl: int = 0
    shadow_retired: dict[str, MintPnl] = {}

    @property
    def shadow_pnl(self) -> int:
        """Own PnL plus the shadow book's: what the strategy would have made unallocated too."""
        shadow = sum(p.realized + p.unrealized for p in self.shadow_mints.values())
        return self.pnl + shadow + self.shadow_retired_pnl

    @property
    def realized(self) -> int:
        return sum(p.realized for p in self.mints.values()) + self.retired_pnl

    @property
    def unrealized(self) -> int:
        return sum(p.unrealized for p in self.mints.values())

    @property
    def pnl(self) -> int:
        return sum(p.realized + p.unrealized for p in self.mints.values()) + self.retired_pnl

    def entries(self) -> int:
        """Entries of the bounded maps (for the state-size metric)."""
        return len(self.mints) + len(self.shadow_mints) + len(self.retired) + len(self.shadow_retired)

    def advance(self, period: int, capital: int, keep: int) -> int:
        """Close every period before ``period``; returns how many closed."""
        if self.period < 0:
            self.period = period
            return 0
        gap = period - self.period
        if gap <= 0:
            return 0
        pnl = self.pnl
        self.returns.append((pnl - self.close_pnl) / capital)
        self.returns.extend([0.0] * min(gap - 1, keep))
        if len(self.returns) > keep:
            del self.returns[: len(self.returns) - keep]
        self.close_pnl = pnl
        shadow = self.shadow_pnl
        self.shadow_returns.append((shadow - self.shadow_close_pnl) / capital)
        self.shadow_returns.extend([0.0] * min(gap - 1, keep))
        if len(self.shadow_returns) > keep:
            del self.shadow_returns[: len(self.shadow_returns) - keep]
        self.shadow_close_pnl = shadow
        self.period = period
        return gap

    def apply(
        self,
        mint: str,
        realized: int,
        unrealized: int,
        seq: int,
        ts: float,
        *,
        period_s: int,
        capital: int,
        keep: int,
        shadow: bool = False,
        mints_keep: int = MINTS_KEEP,
    ) -> bool:
        """Apply one mark (closing periods first); False for a stale or duplicate mark.
        ``shadow``: a mark of the shadow book (``core.shadow``), kept apart from the own PnL."""
        self.advance(int(ts // period_s), capital, keep)
        book, retired = (self.shadow_mints, self.shadow_retired) if shadow else (self.mints, self.retired)
        cur = book.pop(mint, None)
        if cur is None and (old := retired.get(mint)) is not None:
            if seq <= old.seq:
                return False  # a stale or re-sent mark of a retired mint
            del retired[mint]
            self._add_retired(shadow, -(old.realized + old.unrealized))
        elif cur is not None and seq <= cur.seq:
            book[mint] = cur  # unchanged (re-inserted: the order is by last mark)
            return False
        book[mint] = MintPnl(realized, unrealized, seq)
        if len(book) > mints_keep:
            self._retire(book, retired, shadow)
        return True

    def _retire(self, book: dict[str, MintPnl], retired: dict[str, MintPnl], shadow: bool) -> None:
        """Retire the least recently marked flat mint (none if every one is open)."""
        mint = next((k for k, p in book.items() if p.unrealized == 0), None)
        if mint is None:
            return
        p = book.pop(mint)
        self._add_retired(shadow, p.realized + p.unrealized)
        remember(retired, mint, p, RETIRED_KEEP)

    def _add_retired(self, shadow: bool, pnl: int) -> None:
        if shadow:
            self.shadow_retired_pnl += pnl
        else:
            self.retired_pnl += pnl
