"""What the cockpit page receives: one snapshot of every panel, as msgspec structs.

The page's JavaScript depends on these names only, never on ClickHouse column names, so the
query layer can change underneath without breaking the browser. Money stays in integer
lamports; the page formats it.
"""

from __future__ import annotations

import msgspec


class Totals(msgspec.Struct, kw_only=True):
    capital_lamports: int = 0
    equity_lamports: int = 0
    pnl_gross_lamports: int = 0
    pnl_net_lamports: int = 0
    costs_lamports: int = 0
    unrealized_lamports: int = 0
    drawdown: float = 0.0
    max_drawdown: float = 0.0
    trades: int = 0
    win_rate: float | None = None
    open_positions: int = 0


class EquityPoint(msgspec.Struct, array_like=True):
    """``[epoch_ms, equity_lamports, drawdown]``; arrays keep a long curve small on the wire."""

    t: int
    equity: int
    drawdown: float


class StrategyRow(msgspec.Struct, kw_only=True):
    instance_id: str
    family: str = ""
    pnl_gross_lamports: int = 0
    pnl_net_lamports: int = 0
    costs_lamports: int = 0
    trades: int = 0
    wins: int = 0
    win_rate: float | None = None  # None until a trade closed
    sharpe: float | None = None  # None with fewer than two trades or no variance


class AllocationRow(msgspec.Struct, kw_only=True):
    instance_id: str
    weight: float
    capital_lamports: int
    sharpe: float = 0.0
    ts: str = ""
    reason: str = ""


class PositionRow(msgspec.Struct, kw_only=True):
    instance_id: str
    mint: str
    side: str
    qty_tokens: int
    entry_price_sol: float
    mark_price_sol: float
    stop_price_sol: float | None = None
    unrealized_pnl_lamports: int = 0
    cost_lamports: int = 0
    ts: str = ""


class TradeRow(msgspec.Struct, kw_only=True):
    fill_id: str
    ts: str
    instance_id: str
    mint: str
    side: str
    intent: str
    qty_tokens: int = 0
    notional_lamports: int = 0
    price_sol: float = 0.0
    cost_lamports: int = 0
    pnl_lamports: int | None = None
    reason: str = ""


class CostRow(msgspec.Struct, kw_only=True):
    day: str
    swap_fee_lamports: int = 0
    priority_fee_lamports: int = 0
    jito_tip_lamports: int = 0
    drift_fee_lamports: int = 0
    funding_lamports: int = 0
    total_lamports: int = 0


class HealthRow(msgspec.Struct, kw_only=True):
    """One pipeline stage or topic: how much went through and how fresh it is."""

    name: str
    rows: int = 0
    rate_per_s: float = 0.0
    last_ts: str = ""
    lag_s: float | None = None
    status: str = "ok"  # ok | stale | down


class KillState(msgspec.Struct, kw_only=True):
    active: bool = False
    by: str = ""
    reason: str = ""
    ts: str = ""
    flatten: bool = False
    known: bool = False  # False until a KillSwitch message was seen: the page says UNKNOWN
    source: str = ""  # "kafka" (read back from the topic) or "clickhouse"


class LandingRow(msgspec.Struct, kw_only=True):
    """Live submissions of one venue (or ``all``): outcomes, time to land, realised slippage."""

    venue: str
    submitted: int = 0
    landed: int = 0
    failed: int = 0
    expired: int = 0
    pending: int = 0  # submitted, no outcome yet
    landing_rate: float | None = None  # landed / (landed + failed + expired); None until one ended
    time_to_land_p50_s: float | None = None
    time_to_land_p90_s: float | None = None
    slippage_fills: int = 0  # live fills with an expected amount
    slippage_p50_bps: float | None = None  # positive = worse than planned
    slippage_p90_bps: float | None = None


class Landing(msgspec.Struct, kw_only=True):
    available: bool = False  # False: nothing was submitted (paper): ``note`` says why
    note: str = ""
    total: LandingRow | None = None
    venues: list[LandingRow] = []


class PerpVenueState(msgspec.Struct, kw_only=True):
    """The perp venue's program as last read by the perp reconciler."""

    venue: str
    account: str = ""  # <venue>:<wallet>
    state: str = "unknown"  # live | paused | unknown
    reason: str = ""
    ts: str = ""  # when it was read


class Snapshot(msgspec.Struct, kw_only=True):
    mode: str
    as_of: str = ""  # newest event time in the data
    totals: Totals = msgspec.field(default_factory=Totals)
    equity: list[EquityPoint] = []
    strategies: list[StrategyRow] = []
    allocations: list[AllocationRow] = []
    positions: list[PositionRow] = []
    trades: list[TradeRow] = []
    costs: list[CostRow] = []
    health: list[HealthRow] = []
    kill: KillState = msgspec.field(default_factory=KillState)
    landing: Landing = msgspec.field(default_factory=Landing)
    perp_venues: list[PerpVenueState] = []  # empty: no reading stored (reconciler not run)
    errors: list[str] = []  # panels whose query failed, with why; the rest still render
