"""The perp venue's status for the cockpit: live, paused (with the venue's reason) or unknown.

Source: the perp reconciler's readings (``perp_reconciliations`` topic, stored by the analytics
sink), not the risk gate's ``memesnipe_perp_venue_live`` gauge. A reading is the venue's own
program state read from chain by ``core.perp_venue.read_status`` (failing closed: an unreadable
venue is "status unknown"), carries the time it was read and the venue's reason, and reaches
this process without the key or a scrape of the worker; the gauge is a bare 0/1 that cannot tell
paused from unknown and lives in another process. The page shows when it was read, so an old
reading (reconciler stopped) is seen as old.

The record's ``reason`` is ``"<trigger>; <what was read>"`` (``reconciler.perp``): a live
venue's is its collateral and funding, a paused one's the venue's status reason, an unreadable
one's starts "status unknown".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from memesnipe.web import view

LATEST_SQL = """
SELECT venue_key, ts, reason
FROM {db}.perp_reconciliations FINAL
WHERE run_id = {run:String}
ORDER BY ts DESC
LIMIT 1 BY venue_key
"""


def classify(reason: str) -> tuple[str, str]:
    """``(state, detail)`` of one reading's reason: live, paused or unknown."""
    detail = reason.split("; ", 1)[1] if "; " in reason else reason
    if detail.startswith("status unknown"):
        return "unknown", detail
    if detail.startswith("collateral "):
        return "live", detail
    return "paused", detail


def _iso(ts: Any) -> str:
    if isinstance(ts, datetime):
        return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).isoformat()
    return str(ts)


def perp_venues(q: Any) -> list[view.PerpVenueState]:
    """The latest reading of each perp venue account in run ``q.run_id``, by venue name."""
    rows = q.store.rows(LATEST_SQL.replace("{db}", q.store.database), {"run": q.run_id})
    out = []
    for r in rows:
        state, detail = classify(str(r["reason"]))
        key = str(r["venue_key"])
        out.append(
            view.PerpVenueState(
                venue=key.split(":", 1)[0], account=key, state=state, reason=detail, ts=_iso(r["ts"])
            )
        )
    return sorted(out, key=lambda v: v.account)
