"""Landing for the cockpit: how live submissions ended, how long they took, and how far the
landed amounts slipped from the plan, overall and per venue.

Read from the analytics store, the same records the submitter's Prometheus metrics count
(``memesnipe_landing_outcomes_total``, ``memesnipe_time_to_land_seconds``,
``memesnipe_realised_slippage_bps``), so the figures survive restarts and cover the whole run:

- outcome: an order with a ``submitted`` update ends ``landed``, ``failed`` or ``expired``
  (the latest of those; none yet: pending); landing rate = landed / ended;
- time to land: its ``landed`` update's time minus its ``submitted`` update's time;
- realised slippage: as ``Fill.slippage_bps`` (positive = worse), for live fills that carry
  what the plan expected.

Paper orders are never submitted, so a paper run has no landing: ``available`` is False and
``note`` says why, rather than zeros shown as facts. Percentiles are nearest-rank (an observed
value, never interpolated).
"""

from __future__ import annotations

from typing import Any

from memesnipe.core.percentile import nearest_rank
from memesnipe.web import view

SUBMISSIONS_SQL = """
SELECT u.order_id AS order_id, o.venue AS venue, u.final AS final, u.submitted_ms AS submitted_ms,
       u.landed_ms AS landed_ms, u.landed_n AS landed_n
FROM (
    SELECT order_id,
           minIf(toUnixTimestamp64Milli(ts), state = 'submitted') AS submitted_ms,
           minIf(toUnixTimestamp64Milli(ts), state = 'landed') AS landed_ms,
           countIf(state = 'landed') AS landed_n,
           argMaxIf(state, ts, state IN ('landed', 'failed', 'expired')) AS final
    FROM {db}.order_updates FINAL
    WHERE run_id = {run:String}
    GROUP BY order_id
    HAVING countIf(state = 'submitted') > 0
) AS u
LEFT JOIN (
    SELECT order_id, any(venue) AS venue FROM {db}.orders FINAL WHERE run_id = {run:String} GROUP BY order_id
) AS o ON u.order_id = o.order_id
ORDER BY order_id
"""
"""One row per submitted order (stable id (order_id, state): a replay adds nothing)."""

SLIPPAGE_SQL = """
SELECT f.fill_id AS fill_id, o.venue AS venue, f.bps AS bps
FROM (
    SELECT fill_id, order_id,
           if(side IN ('buy', 'short'),
              (expected_qty_tokens - qty_tokens) / expected_qty_tokens,
              (expected_notional_lamports - notional_lamports) / expected_notional_lamports) * 10000 AS bps
    FROM (SELECT * FROM {db}.fills FINAL WHERE run_id = {run:String} AND paper = 0
          ORDER BY ts LIMIT 1 BY fill_id)
    WHERE if(side IN ('buy', 'short'), expected_qty_tokens, expected_notional_lamports) > 0
) AS f
LEFT JOIN (
    SELECT order_id, any(venue) AS venue FROM {db}.orders FINAL WHERE run_id = {run:String} GROUP BY order_id
) AS o ON f.order_id = o.order_id
ORDER BY fill_id
"""
"""Live fills with an expected amount: buys/shorts by tokens, sells/covers by SOL."""

PAPER_NOTE = "paper mode: orders are filled by the model, never submitted, so nothing lands"
NONE_YET_NOTE = "no live submissions in this run yet"


def _row(venue: str, subs: list[dict[str, Any]], bps: list[float]) -> view.LandingRow:
    ended = {s: sum(1 for r in subs if r["final"] == s) for s in ("landed", "failed", "expired")}
    done = sum(ended.values())
    # an order booked LANDED whose transaction then proved failed on chain ended failed: no time
    landed = [r for r in subs if r["landed_n"] and r["final"] == "landed"]
    times = [(r["landed_ms"] - r["submitted_ms"]) / 1000 for r in landed]
    return view.LandingRow(
        venue=venue,
        submitted=len(subs),
        landed=ended["landed"],
        failed=ended["failed"],
        expired=ended["expired"],
        pending=len(subs) - done,
        landing_rate=ended["landed"] / done if done else None,
        time_to_land_p50_s=nearest_rank(times, 0.5),
        time_to_land_p90_s=nearest_rank(times, 0.9),
        slippage_fills=len(bps),
        slippage_p50_bps=nearest_rank(bps, 0.5),
        slippage_p90_bps=nearest_rank(bps, 0.9),
    )


def landing(q: Any, mode: str) -> view.Landing:
    """The landing panel of run ``q.run_id``: overall, then per venue."""
    params = {"run": q.run_id}
    db = q.store.database
    subs = q.store.rows(SUBMISSIONS_SQL.replace("{db}", db), params)
    slips = q.store.rows(SLIPPAGE_SQL.replace("{db}", db), params)
    if not subs and not slips:
        return view.Landing(available=False, note=PAPER_NOTE if mode == "paper" else NONE_YET_NOTE)
    venue = lambda r: str(r.get("venue") or "") or "unknown"  # noqa: E731
    names = sorted({venue(r) for r in subs} | {venue(r) for r in slips})
    return view.Landing(
        available=True,
        total=_row("all", list(subs), [float(r["bps"]) for r in slips]),
        venues=[
            _row(n, [r for r in subs if venue(r) == n], [float(r["bps"]) for r in slips if venue(r) == n])
            for n in names
        ],
    )
