"""Position accounting from fills: average cost, realized and unrealized PnL, gross and net.

A position is one direction of one strategy instance in one token: a long bought and sold
on Jupiter (BUY opens/adds, SELL reduces) or a perp short on Drift (SHORT opens/adds, COVER
reduces). Amounts are integer lamports and token base units.

- ``basis_lamports`` is the notional of the open quantity: SOL paid for a long, the short's
  entry notional for a short. A reducing fill releases the basis pro rata (average cost), and
  realized gross PnL is proceeds minus released basis (long) or released basis minus the
  cover's cost (short).
- Costs (swap fee, priority fee, Jito tip, Drift fee, minus funding received) are tracked
  apart from the price PnL, so both gross and net figures exist. An opening fill's costs stay
  with the open quantity (``open_costs_lamports``) and move to realized pro rata as it is
  reduced; a reducing fill's costs are realized at once. Hence
  ``realized_net = realized_gross - realized_costs`` and
  ``unrealized_net = unrealized_gross - open_costs``.

Pure: fills are anything shaped like ``streams.Fill`` (see :class:`FillLike`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import msgspec

from memesnipe.core.trailing_stop import Direction

LAMPORTS_PER_SOL = 1_000_000_000


class FillLike(Protocol):
    """The fields of ``streams.Fill`` that accounting reads."""

    @property
    def fill_id(self) -> str: ...
    @property
    def instance_id(self) -> str: ...
    @property
    def family(self) -> str: ...
    @property
    def mint(self) -> str: ...
    @property
    def ts(self) -> datetime: ...
    @property
    def side(self) -> str: ...
    @property
    def qty_tokens(self) -> int: ...
    @property
    def notional_lamports(self) -> int: ...
    @property
    def price_sol(self) -> float: ...
    @property
    def swap_fee_lamports(self) -> int: ...
    @property
    def priority_fee_lamports(self) -> int: ...
    @property
    def jito_tip_lamports(self) -> int: ...
    @property
    def drift_fee_lamports(self) -> int: ...
    @property
    def funding_lamports(self) -> int: ...


class FillAction(StrEnum):
    OPEN = "open"
    REDUCE = "reduce"


SIDE_EFFECT: dict[str, tuple[Direction, FillAction]] = {
    "buy": (Direction.LONG, FillAction.OPEN),
    "sell": (Direction.LONG, FillAction.REDUCE),
    "short": (Direction.SHORT, FillAction.OPEN),
    "cover": (Direction.SHORT, FillAction.REDUCE),
}
"""What a fill's side does: which direction it touches and whether it opens or reduces."""


class Costs(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Cost totals by kind, in lamports. ``funding`` is funding received (negative = paid)."""

    swap_fee: int = 0
    priority_fee: int = 0
    jito_tip: int = 0
    drift_fee: int = 0
    funding: int = 0

    @property
    def total(self) -> int:
        return self.swap_fee + self.priority_fee + self.jito_tip + self.drift_fee - self.funding

    def add(self, fill: FillLike) -> None:
        self.swap_fee += fill.swap_fee_lamports
        self.priority_fee += fill.priority_fee_lamports
        self.jito_tip += fill.jito_tip_lamports
        self.drift_fee += fill.drift_fee_lamports
        self.funding += fill.funding_lamports


def fill_cost(fill: FillLike) -> int:
    return (
        fill.swap_fee_lamports
        + fill.priority_fee_lamports
        + fill.jito_tip_lamports
        + fill.drift_fee_lamports
        - fill.funding_lamports
    )


class Position(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One open (or just closed) position, with its stop and exit bookkeeping. Times are
    event-time epoch seconds."""

    position_id: str
    instance_id: str
    family: str
    mint: str
    direction: Direction
    opened_at_s: float
    qty: int = 0
    basis_lamports: int = 0
    open_costs_lamports: int = 0
    entry_price: float = 0.0
    best_price: float = 0.0
    mark_price: float = 0.0
    mark_ts_s: float = 0.0  # event time of the last market mark (price clock)
    hold_start_s: float = 0.0  # price-clock time of the first mark after opening (max hold)
    decimals: int = -1
    perp_market_index: int | None = None  # Drift market of a short (a cover needs it)
    realized_gross_lamports: int = 0
    realized_costs_lamports: int = 0
    costs: Costs = msgspec.field(default_factory=Costs)
    fills: int = 0
    closed_at_s: float = 0.0
    exit_reason: str = ""
    # exit in flight: the exit signal's id and when it was sent (event time)
    pending_exit_id: str = ""
    pending_exit_reason: str = ""
    pending_since_s: float = 0.0
    pending_wall_s: float = 0.0  # ...and the wall-clock time it was sent (BookPolicy.wall_clock)
    # last published update (throttling marks)
    published_mark: float = 0.0
    published_ts_s: float = 0.0
    updated_ts_s: float = 0.0  # latest event time applied; updates never go back in time
    seq: int = 0
    last_fill_s: float = 0.0  # event time of the latest fill applied (PositionUpdate.fill_ts)

    @property
    def is_open(self) -> bool:
        return self.qty > 0

    @property
    def realized_net_lamports(self) -> int:
        return self.realized_gross_lamports - self.realized_costs_lamports

    def market_value_lamports(self, price: float | None = None) -> int:
        """Value of the open quantity at ``price`` (default: the mark) in lamports.

        Uses the token's decimals once a price event has told them; before that, scales the
        basis by price / entry price (the same number when the fill's price is its own).
        """
        p = self.mark_price if price is None else price
        if self.qty <= 0 or p <= 0.0:
            return 0
        if self.decimals >= 0:
            return round(self.qty * p * LAMPORTS_PER_SOL / 10**self.decimals)
        if self.entry_price <= 0.0:
            return self.basis_lamports
        return round(self.basis_lamports * p / self.entry_price)

    def unrealized_gross_lamports(self, price: float | None = None) -> int:
        if self.qty <= 0:
            return 0
        value = self.market_value_lamports(price)
        if self.direction is Direction.LONG:
            return value - self.basis_lamports
        return self.basis_lamports - value

    def unrealized_net_lamports(self, price: float | None = None) -> int:
        if self.qty <= 0:
            return 0
        return self.unrealized_gross_lamports(price) - self.open_costs_lamports

    def total_net_lamports(self) -> int:
        return self.realized_net_lamports + self.unrealized_net_lamports()


@dataclass(frozen=True, slots=True)
class FillEffect:
    """What one fill did to a position."""

    action: FillAction
    qty: int  # tokens opened or closed (base units)
    realized_gross_lamports: int  # change of realized gross PnL
    realized_costs_lamports: int  # change of realized costs
    excess_qty: int = 0  # tokens a reducing fill sold/covered beyond the open quantity
    closed: bool = False  # the position is flat after this fill

    @property
    def realized_net_lamports(self) -> int:
        return self.realized_gross_lamports - self.realized_costs_lamports


class FillError(ValueError):
    """A fill that cannot be applied (bad numbers, or a wrong side for this position)."""


def validate_fill(fill: FillLike) -> None:
    """Refuse fills whose numbers cannot be booked; the message says which field is wrong."""
    if fill.side not in SIDE_EFFECT:
        raise FillError(f"fill {fill.fill_id}: unknown side {fill.side!r}")
    if fill.qty_tokens < 0:
        raise FillError(f"fill {fill.fill_id}: qty_tokens must be >= 0, got {fill.qty_tokens}")
    if fill.qty_tokens > 0 and not fill.price_sol > 0.0:
        raise FillError(f"fill {fill.fill_id}: price_sol must be > 0 for a fill of {fill.qty_tokens} tokens")


@dataclass(frozen=True, slots=True)
class Reduction:
    """What reducing an open quantity at average cost releases and realizes (lamports)."""

    qty: int  # tokens closed: at most the open quantity
    excess: int  # tokens reduced beyond the open quantity (a fill whose opening we never saw)
    basis: int  # basis released with the closed tokens
    costs: int  # open (entry) costs released with them
    gross: int  # realized gross PnL of the closed tokens: proceeds vs released basis


def reduce_at_average_cost(
    held: int, basis: int, open_costs: int, qty: int, notional: int, *, long: bool
) -> Reduction:
    """Average-cost accounting of one reducing fill of ``qty`` tokens for ``notional`` lamports
    against ``held`` tokens carrying ``basis`` and ``open_costs``: the one place it is written
    (the position manager's positions, the ledger's and the analytics' books all call it).

    The closed share releases basis and costs pro rata (rounded down; a full close releases
    all, so nothing is left behind); only the matched share of the proceeds counts. Gross PnL is
    proceeds minus released basis for a long, released basis minus the cover's cost for a short.
    """
    closed = min(qty, held)
    excess = qty - closed
    if held > 0 and closed == held:
        released_basis, released_costs = basis, open_costs
    elif held > 0:
        released_basis, released_costs = basis * closed // held, open_costs * closed // held
    else:
        released_basis = released_costs = 0
    proceeds = notional if excess == 0 or qty == 0 else notional * closed // qty
    gross = proceeds - released_basis if long else released_basis - proceeds
    return Reduction(closed, excess, released_basis, released_costs, gross)


def new_position(fill: FillLike, direction: Direction) -> Position:
    """An empty position opened by ``fill`` (apply the fill next)."""
    return Position(
        position_id=f"{fill.instance_id}|{fill.mint}|{direction.value}|{fill.fill_id}",
        instance_id=fill.instance_id,
        family=fill.family,
        mint=fill.mint,
        direction=direction,
        opened_at_s=fill.ts.timestamp(),
    )


def apply_fill(pos: Position, fill: FillLike) -> FillEffect:
    """Book ``fill`` into ``pos`` (mutated). The caller deduplicates fills by id."""
    validate_fill(fill)
    direction, action = SIDE_EFFECT[str(fill.side)]
    if direction is not pos.direction:
        raise FillError(
            f"fill {fill.fill_id}: side {fill.side} does not belong to a {pos.direction} position"
        )
    cost = fill_cost(fill)
    pos.costs.add(fill)
    pos.fills += 1
    ts_s = fill.ts.timestamp()
    if fill.qty_tokens > 0 and pos.mark_ts_s <= 0.0:
        pos.mark_price = fill.price_sol  # until the market marks it; mark_ts_s stays the market's
    if action is FillAction.OPEN:
        q = fill.qty_tokens
        if q > 0:
            pos.entry_price = (pos.entry_price * pos.qty + fill.price_sol * q) / (pos.qty + q)
            if pos.qty == 0:
                pos.best_price = fill.price_sol
            pos.qty += q
            pos.basis_lamports += fill.notional_lamports
        pos.open_costs_lamports += cost
        return FillEffect(action, q, 0, 0)

    # reduce
    r = reduce_at_average_cost(
        pos.qty,
        pos.basis_lamports,
        pos.open_costs_lamports,
        fill.qty_tokens,
        fill.notional_lamports,
        long=pos.direction is Direction.LONG,
    )
    closed_qty, excess, gross = r.qty, r.excess, r.gross
    costs = r.costs + cost
    pos.qty -= closed_qty
    pos.basis_lamports -= r.basis
    pos.open_costs_lamports -= r.costs
    pos.realized_gross_lamports += gross
    pos.realized_costs_lamports += costs
    closed = pos.qty == 0
    if closed:
        pos.closed_at_s = max(ts_s, pos.opened_at_s)
        pos.exit_reason = pos.pending_exit_reason or "signal_exit"  # not ours: a strategy's own exit
    # a reducing fill answers the pending exit; if something is left, the next mark re-decides
    pos.pending_exit_id = ""
    pos.pending_exit_reason = ""
    pos.pending_since_s = 0.0
    return FillEffect(FillAction.REDUCE, closed_qty, gross, costs, excess, closed)


@dataclass(frozen=True, slots=True)
class PnlSummary:
    """PnL of one strategy instance over its positions, gross and net of costs (lamports)."""

    realized_gross: int = 0
    realized_net: int = 0
    unrealized_gross: int = 0
    unrealized_net: int = 0
    costs: int = 0
    open_positions: int = 0

    @property
    def total_gross(self) -> int:
        return self.realized_gross + self.unrealized_gross

    @property
    def total_net(self) -> int:
        return self.realized_net + self.unrealized_net


def summarize(positions: list[Position]) -> dict[str, PnlSummary]:
    """PnL per strategy instance (gross and net) over the given positions."""
    acc: dict[str, list[int]] = {}
    for p in positions:
        a = acc.setdefault(p.instance_id, [0, 0, 0, 0, 0, 0])
        a[0] += p.realized_gross_lamports
        a[1] += p.realized_net_lamports
        a[2] += p.unrealized_gross_lamports()
        a[3] += p.unrealized_net_lamports()
        a[4] += p.costs.total
        a[5] += 1 if p.is_open else 0
    return {k: PnlSummary(*v) for k, v in acc.items()}
