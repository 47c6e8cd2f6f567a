"""Trade history for the cockpit: the newest fills with their exit reason and realized PnL.

The exit reason (trailing stop, take profit, max hold, rug...) is on the position manager's
closing position update, not on the fill (whose ``reason`` says how it was filled), so this
module joins the two against the analytics schema, deduplicated like every other read. Net PnL
per closing fill comes from the query layer's ledger (``performance()["trade_pnl"]``), so the
figures agree with the strategy table to the lamport.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

RECENT_TRADES_SQL = """
SELECT f.fill_id AS fill_id, f.ts AS ts, f.instance_id AS instance_id, f.mint AS mint, f.side AS side,
       f.intent AS intent, f.qty_tokens AS qty_tokens, f.notional_lamports AS notional_lamports,
       f.price_sol AS price_sol, f.cost_lamports AS cost_lamports,
       if(f.intent = 'exit' AND p.exit_reason != '', p.exit_reason, f.reason) AS reason
FROM (
    SELECT fill_id, ts, instance_id, mint, side, intent, qty_tokens, notional_lamports, price_sol,
           cost_lamports, reason
    FROM {db}.fills FINAL
    WHERE run_id = {run:String}
    ORDER BY ts DESC, fill_id
    LIMIT 1 BY fill_id
    LIMIT {limit:UInt32}
) AS f
ASOF LEFT JOIN (
    SELECT instance_id, mint, ts, exit_reason
    FROM {db}.positions FINAL
    WHERE run_id = {run:String} AND status = 'closed'
) AS p
ON f.instance_id = p.instance_id AND f.mint = p.mint AND p.ts >= f.ts
ORDER BY ts DESC, fill_id
"""
"""An exit fill's reason is the exit reason of the first closing position update at or after it."""


def _utc(v: Any) -> Any:
    if isinstance(v, datetime) and v.tzinfo is None:
        return v.replace(tzinfo=UTC)
    return v


def recent_trades(q: Any, limit: int, pnl_by_fill: Mapping[str, int]) -> list[dict[str, Any]]:
    """The newest ``limit`` fills, newest first, with ``reason`` and ``pnl_lamports``."""
    sql = RECENT_TRADES_SQL.replace("{db}", q.store.database)
    rows = q.store.rows(sql, {"run": q.run_id, "limit": limit})
    out = []
    for r in rows:
        r = {k: _utc(v) for k, v in r.items()}
        r["pnl_lamports"] = pnl_by_fill.get(r["fill_id"])
        out.append(r)
    return out
