"""The ClickHouse SQL behind the Grafana trading dashboard.

Grafana reads ClickHouse directly, so the PnL method of ``memesnipe.sinks.ledger`` (average-cost
books per strategy, mint and long/short book; a closing fill is a trade) is replayed here in
SQL with ``arrayFold`` over each book's fills in event order. Same operations in the same order
as the Python ledger, so the dashboard, ``memesnipe report`` and the cockpit agree (checked by
tests/deploy/test_grafana.py against the query layer on a seeded chDB).

Placeholders are Grafana template variables: ``${db}`` (database), ``${run}`` (run id),
``${capital}`` (starting capital in lamports) and the ``$__timeFilter(col)`` macro.
"""

from __future__ import annotations

from memesnipe.web.trades import RECENT_TRADES_SQL


def _floordiv(a: str, b: str) -> str:
    """Python's ``a // b`` for ``b > 0`` (ClickHouse's intDiv truncates toward zero)."""
    return f"(intDiv({a}, {b}) - if(({a}) < 0 AND modulo({a}, {b}) != 0, 1, 0))"


# core.positions.reduce_at_average_cost, term by term, in Int128 (basis x quantity overflows Int64):
# acc = (held, basis, entry costs, results); f = (ts, side, qty, notional, cost, fill_id)
_CLOSED = "least(f.3, acc.1)"
_BASIS = f"if(acc.1 = {_CLOSED}, acc.2, {_floordiv(f'acc.2 * {_CLOSED}', 'acc.1')})"
_COSTS = f"if(acc.1 = {_CLOSED}, acc.3, {_floordiv(f'acc.3 * {_CLOSED}', 'acc.1')})"
_PROCEEDS = f"if(f.3 = {_CLOSED}, f.4, {_floordiv(f'f.4 * {_CLOSED}', 'f.3')})"
_GROSS = f"if(f.2 = 'sell', {_PROCEEDS} - {_BASIS}, {_BASIS} - {_PROCEEDS})"
_NET = f"{_GROSS} - ({_COSTS} + f.5)"
_NO_TRADE = "arrayPushBack(acc.4, (0., 0., toUInt8(0)))"

LEDGER = f"""ledger AS (
    SELECT instance_id, mint, tupleElement(f, 1) AS ts, tupleElement(f, 6) AS fill_id,
           toFloat64(tupleElement(f, 5)) AS cost, tupleElement(r, 1) AS gross, tupleElement(r, 2) AS net,
           tupleElement(r, 3) AS is_trade
    FROM (
        SELECT instance_id, mint, fills,
               tupleElement(arrayFold((acc, f) -> if(f.2 IN ('buy', 'short'),
                   (acc.1 + f.3, acc.2 + f.4, acc.3 + f.5, {_NO_TRADE}),
                   if({_CLOSED} <= 0,
                      (acc.1, acc.2, acc.3, {_NO_TRADE}),
                      (acc.1 - {_CLOSED}, acc.2 - {_BASIS}, acc.3 - {_COSTS},
                       arrayPushBack(acc.4, (toFloat64({_GROSS}), toFloat64({_NET}), toUInt8(1)))))),
                   fills, (toInt128(0), toInt128(0), toInt128(0),
                           CAST([], 'Array(Tuple(Float64, Float64, UInt8))'))), 4)
               AS results
        FROM (
            SELECT instance_id, mint, if(side IN ('buy', 'sell'), 'long', 'short') AS book,
                   arraySort(x -> (x.1, x.6), groupArray((ts, side, toInt128(qty_tokens),
                                                        toInt128(notional_lamports),
                                                        toInt128(cost_lamports), fill_id))) AS fills
            FROM (SELECT * FROM ${{db}}.fills FINAL WHERE run_id = '${{run}}' ORDER BY ts, fill_id
                  LIMIT 1 BY fill_id)
            GROUP BY instance_id, mint, book
        )
    )
    ARRAY JOIN fills AS f, results AS r
)"""
"""One row per fill: its costs and, for a closing fill (``is_trade``), the trade's gross and net."""

OPEN_POSITIONS = """open_positions AS (
    SELECT instance_id, mint, argMax(status, (ts, ver)) AS state, argMax(side, (ts, ver)) AS side,
           argMax(qty_tokens, (ts, ver)) AS qty_tokens, argMax(entry_price_sol, (ts, ver)) AS entry_price_sol,
           argMax(mark_price_sol, (ts, ver)) AS mark_price_sol,
           argMax(stop_price_sol, (ts, ver)) AS stop_price_sol,
           argMax(unrealized_pnl_lamports, (ts, ver)) AS unrealized_lamports, max(ts) AS last_ts
    FROM ${db}.positions FINAL
    WHERE run_id = '${run}'
    GROUP BY instance_id, mint
    HAVING state = 'open'
)"""

STRATEGIES = f"""WITH {LEDGER},
{OPEN_POSITIONS}
SELECT l.instance_id AS strategy, l.trades AS trades, l.win_rate AS win_rate,
       (l.gross + u.unrealized) / 1e9 AS gross_sol, l.costs / 1e9 AS costs_sol,
       (l.gross + u.unrealized - l.costs) / 1e9 AS net_sol, u.unrealized / 1e9 AS unrealized_sol,
       u.open AS open_positions
FROM (SELECT instance_id, sum(is_trade) AS trades,
             sum(is_trade AND net > 0) / nullIf(sum(is_trade), 0) AS win_rate,
             sum(gross) AS gross, sum(cost) AS costs
      FROM ledger GROUP BY instance_id) AS l
LEFT JOIN (SELECT instance_id, toFloat64(sum(unrealized_lamports)) AS unrealized, count() AS open
           FROM open_positions GROUP BY instance_id) AS u USING (instance_id)
ORDER BY net_sol DESC"""
"""PnL per strategy, gross and net of costs (the query layer's ``performance()["strategies"]``)."""

TOTALS = f"""WITH {LEDGER},
{OPEN_POSITIONS}
SELECT (sum(gross) + any(u.unrealized)) / 1e9 AS gross_sol, sum(cost) / 1e9 AS costs_sol,
       (sum(gross) + any(u.unrealized) - sum(cost)) / 1e9 AS net_sol, sum(is_trade) AS trades,
       sum(is_trade AND net > 0) / nullIf(sum(is_trade), 0) AS win_rate, any(u.open) AS open_positions
FROM ledger
CROSS JOIN (SELECT toFloat64(sum(unrealized_lamports)) AS unrealized, count() AS open
            FROM open_positions) AS u"""

_CURVE = f"""WITH {LEDGER},
events AS (
    SELECT CAST(ts, 'DateTime64(6, \\'UTC\\')') AS time, gross - cost AS delta FROM ledger
    UNION ALL
    SELECT CAST(minute, 'DateTime64(6, \\'UTC\\')') AS time,
           u - lagInFrame(u, 1, 0.) OVER (PARTITION BY instance_id, mint ORDER BY minute
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS delta
    FROM (SELECT instance_id, mint, minute,
                 toFloat64(if(status = 'open', unrealized_pnl_lamports, 0)) AS u
          FROM ${{db}}.pnl_snapshots WHERE run_id = '${{run}}')
),
curve AS (
    SELECT time, ${{capital}} + sum(sum(delta)) OVER (ORDER BY time
                                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS equity
    FROM events GROUP BY time
)"""

EQUITY = (
    _CURVE
    + """
SELECT time, equity / 1e9 AS equity_sol
FROM curve
WHERE $__timeFilter(time)
ORDER BY time"""
)
"""Equity = capital + realized gross - costs at each fill + unrealized per minute (the curve of
``performance()["equity_curve"]``)."""

DRAWDOWN = (
    _CURVE
    + """
SELECT time, equity / greatest(toFloat64(${capital}),
       max(equity) OVER (ORDER BY time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) - 1 AS drawdown
FROM curve
WHERE $__timeFilter(time)
ORDER BY time"""
)
"""Drawdown from the high-water mark (starting at the capital), as a negative fraction."""

STRATEGY_PNL_OVER_TIME = f"""WITH {LEDGER}
SELECT CAST(ts, 'DateTime64(6, \\'UTC\\')') AS time, instance_id,
       sum(gross - cost) OVER (PARTITION BY instance_id ORDER BY ts, fill_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) / 1e9 AS realized_net_sol
FROM ledger
WHERE $__timeFilter(time)
ORDER BY time"""
"""Cumulative realized PnL net of costs per strategy, at each of its fills."""

_RECENT = (
    RECENT_TRADES_SQL.replace("{db}", "${db}")
    .replace("{run:String}", "'${run}'")
    .replace("{limit:UInt32}", "500")
    .replace(
        "WHERE run_id = '${run}'\n    ORDER BY ts DESC",
        "WHERE run_id = '${run}' AND $__timeFilter(ts)\n    ORDER BY ts DESC",
    )
)

TRADES = f"""WITH {LEDGER}
SELECT t.ts AS time, t.instance_id AS strategy, t.mint AS mint, t.side AS side, t.intent AS intent,
       t.notional_lamports / 1e9 AS sol, t.price_sol AS price_sol, t.cost_lamports / 1e9 AS costs_sol,
       if(l.is_trade = 1, l.net / 1e9, NULL) AS pnl_sol, t.reason AS reason
FROM ({_RECENT}) AS t
LEFT JOIN ledger AS l ON l.fill_id = t.fill_id
ORDER BY time DESC"""
"""Trade history with the exit reason and each closing fill's net PnL."""

OPEN_POSITIONS_TABLE = f"""WITH {OPEN_POSITIONS}
SELECT instance_id AS strategy, mint, side, qty_tokens, entry_price_sol, mark_price_sol, stop_price_sol,
       (mark_price_sol - stop_price_sol) / mark_price_sol AS to_stop,
       unrealized_lamports / 1e9 AS unrealized_sol,
       last_ts AS updated
FROM open_positions
ORDER BY unrealized_sol"""

ALLOCATIONS_OVER_TIME = """SELECT ts AS time, instance_id, weight
FROM ${db}.allocations FINAL
WHERE run_id = '${run}' AND $__timeFilter(ts)
ORDER BY time"""

ALLOCATIONS_NOW = """SELECT instance_id AS strategy, argMax(weight, ts) AS weight,
       argMax(capital_lamports, ts) / 1e9 AS capital_sol, argMax(sharpe, ts) AS sharpe, max(ts) AS updated
FROM ${db}.allocations FINAL
WHERE run_id = '${run}'
GROUP BY instance_id
ORDER BY weight DESC"""

DAILY_COSTS = """SELECT CAST(toDate(ts), 'DateTime') AS time,
       sum(swap_fee_lamports) / 1e9 AS swap_fee, sum(priority_fee_lamports) / 1e9 AS priority_fee,
       sum(jito_tip_lamports) / 1e9 AS jito_tip, sum(drift_fee_lamports) / 1e9 AS drift_fees,
       -sum(funding_lamports) / 1e9 AS funding_paid
FROM (SELECT * FROM ${db}.fills FINAL WHERE run_id = '${run}' AND $__timeFilter(ts)
      ORDER BY ts LIMIT 1 BY fill_id)
GROUP BY time
ORDER BY time"""
"""Costs per UTC day by kind, in SOL; funding received counts as a negative cost."""

KILL_SWITCH_NOW = """SELECT argMax(active, (ts, ver)) AS active
FROM ${db}.killswitch FINAL
WHERE run_id = '${run}'"""

KILL_SWITCH_HISTORY = """SELECT ts AS time, if(active = 1, 'KILL', 'resume') AS action, by, reason, flatten,
       drawdown
FROM ${db}.killswitch FINAL
WHERE run_id = '${run}'
ORDER BY ts DESC
LIMIT 50"""

RUNS = """SELECT run_id FROM ${db}.fills GROUP BY run_id ORDER BY max(ts) DESC"""
