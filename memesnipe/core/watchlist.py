"""The watchlist keeper: which discovered mints are worth polling, and when to stop. Pure.

Inputs are observations with their own times: a discovery :class:`Candidate` (pump.fun launch,
graduation, new pool, DexScreener profile/boost), and facts from the market topics (price with
liquidity and volume, swaps, safety, rug signs). :meth:`Watchlist.evaluate` at a time ``now``
returns the entries whose state changed, to publish on the compacted ``watchlist`` topic.

Admission (a pending candidate, first refusal wins; a refused candidate is forgotten):
  blocked   - recently evicted (``readmit_after_s``) -> stays out
  unsafe    - known safety facts are bad (mint / freeze authority live, top-10 holders over
              ``max_top10_pct``) -> refused
  too_old   - created (or first seen) more than ``max_age_s`` ago -> refused
  stale     - its latest activity is already older than ``idle_evict_s`` -> refused (it would
              be evicted as idle at once: an old event replayed or backfilled late)
  liquidity - known liquidity under ``min_liquidity_usd``, or unknown while
              ``require_liquidity`` -> waits (facts may still come) until too old
  activity  - fewer than ``min_activity`` activity observations (swaps, trading prices) -> waits
Eviction of an active entry:
  rugged    - LP removed, a dev sell, or liquidity under ``evict_liquidity_usd``
  unsafe    - safety facts turned bad
  idle      - no activity for ``idle_evict_s``
  size_bound - more than ``max_entries`` active: the least recently active go first
Pending candidates are bounded too (``max_pending``, oldest dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from memesnipe.streams.watchlist import DiscoveryOrigin, WatchlistEntry, WatchStatus


@dataclass(frozen=True)
class WatchlistRules:
    max_age_s: float = 6 * 3600.0
    min_liquidity_usd: float = 0.0
    require_liquidity: bool = False
    min_activity: int = 0
    max_top10_pct: float = 0.0  # 0 = do not judge holder concentration
    require_renounced_authorities: bool = True
    idle_evict_s: float = 1800.0
    evict_liquidity_usd: float = 0.0
    max_entries: int = 200
    max_pending: int = 5000
    readmit_after_s: float = 3600.0


@dataclass(frozen=True)
class Candidate:
    """One discovery of a mint. ``ts`` = when the source saw it (event time)."""

    mint: str
    ts: datetime
    origin: DiscoveryOrigin
    source: str = ""
    created_at: datetime | None = None
    pool: str = ""
    token_program: str = ""
    signature: str = ""


@dataclass
class _State:
    mint: str
    first_seen: datetime
    origins: list[DiscoveryOrigin] = field(default_factory=list)
    created_at: datetime | None = None
    pool: str = ""
    token_program: str = ""
    active: bool = False
    admitted_at: datetime | None = None
    last_activity: datetime | None = None
    activity: int = 0
    liquidity_usd: float | None = None
    unsafe: str = ""
    rugged: str = ""
    evicted_at: datetime | None = None

    def entry(self, ts: datetime, status: WatchStatus, reason: str) -> WatchlistEntry:
        return WatchlistEntry(
            mint=self.mint,
            ts=ts,
            status=status,
            reason=reason,
            origins=list(self.origins),
            first_seen=self.first_seen,
            created_at=self.created_at,
            last_activity=self.last_activity,
            pool=self.pool,
            token_program=self.token_program,
            liquidity_usd=self.liquidity_usd,
        )


class Watchlist:
    """Candidates, active entries and recently evicted mints, with the rules above."""

    def __init__(self, rules: WatchlistRules | None = None) -> None:
        self.rules = rules or WatchlistRules()
        self.states: dict[str, _State] = {}

    # observations -------------------------------------------------------------------------
    def candidate(self, c: Candidate) -> None:
        st = self.states.get(c.mint)
        if st is None:
            st = self.states[c.mint] = _State(c.mint, first_seen=c.ts)
            self._bound_pending()
        if c.origin not in st.origins:
            st.origins.append(c.origin)
        if c.created_at is not None and (st.created_at is None or c.created_at < st.created_at):
            st.created_at = c.created_at
        st.pool = c.pool or st.pool
        st.token_program = c.token_program or st.token_program
        if c.origin in (DiscoveryOrigin.PUMP_MIGRATE, DiscoveryOrigin.NEW_POOL):
            self._touch(st, c.ts)  # a pool opening is activity

    def price(self, mint: str, ts: datetime, liquidity_usd: float, volume_usd_5m: float) -> None:
        st = self.states.get(mint)
        if st is None:
            return
        if liquidity_usd > 0:
            st.liquidity_usd = liquidity_usd
            ev = self.rules.evict_liquidity_usd
            if st.active and ev > 0 and liquidity_usd < ev:
                st.rugged = st.rugged or f"liquidity ${liquidity_usd:,.0f} < ${ev:,.0f}"
        if volume_usd_5m > 0:
            self._touch(st, ts)

    def activity(self, mint: str, ts: datetime) -> None:
        """A swap (or any trade) of the mint."""
        st = self.states.get(mint)
        if st is not None:
            self._touch(st, ts)

    def safety(
        self,
        mint: str,
        *,
        mint_authority_live: bool | None,
        freeze_authority_live: bool | None,
        top10_holder_pct: float | None,
    ) -> None:
        st = self.states.get(mint)
        if st is None:
            return
        r = self.rules
        why = []
        if r.require_renounced_authorities and mint_authority_live:
            why.append("mint authority live")
        if r.require_renounced_authorities and freeze_authority_live:
            why.append("freeze authority live")
        if r.max_top10_pct > 0 and top10_holder_pct is not None and top10_holder_pct > r.max_top10_pct:
            why.append(f"top-10 holders {top10_holder_pct:.0%} > {r.max_top10_pct:.0%}")
        st.unsafe = ", ".join(why)

    def rug(self, mint: str, reason: str) -> None:
        """LP removed, a dev sell: evicts an active entry, refuses a pending one."""
        st = self.states.get(mint)
        if st is not None:
            st.rugged = st.rugged or reason

    def restore(self, e: WatchlistEntry) -> None:
        """An ACTIVE entry read back from the watchlist topic after a restart."""
        st = self.states[e.mint] = _State(e.mint, first_seen=e.first_seen, origins=list(e.origins))
        st.created_at, st.pool, st.token_program = e.created_at, e.pool, e.token_program
        st.liquidity_usd, st.last_activity = e.liquidity_usd, e.last_activity
        st.active, st.admitted_at = True, e.ts

    # decisions ----------------------------------------------------------------------------
    def evaluate(self, now: datetime) -> list[WatchlistEntry]:
        """Apply the rules at ``now``; the entries whose state changed (admitted or evicted)."""
        r = self.rules
        out: list[WatchlistEntry] = []
        for mint, st in list(self.states.items()):
            if st.evicted_at is not None:
                if (now - st.evicted_at).total_seconds() > r.readmit_after_s:
                    del self.states[mint]  # forgotten: a new discovery may admit it again
                continue
            if st.active:
                reason = self._eviction(st, now)
                if reason:
                    out.append(self._evict(st, now, reason))
                continue
            refusal = self._refusal(st, now)
            if refusal is None:
                st.active, st.admitted_at = True, now
                st.last_activity = st.last_activity or st.first_seen
                out.append(st.entry(now, WatchStatus.ACTIVE, "admitted: " + ", ".join(st.origins)))
            elif refusal[1]:  # final: forget it
                del self.states[mint]
        active = sorted(
            (s for s in self.states.values() if s.active),
            key=lambda s: (s.last_activity or s.first_seen, s.mint),
        )
        for st in active[: max(0, len(active) - r.max_entries)]:
            out.append(self._evict(st, now, "size_bound"))
        return out

    def active(self) -> list[str]:
        return sorted(m for m, s in self.states.items() if s.active)

    # internals ----------------------------------------------------------------------------
    def _touch(self, st: _State, ts: datetime) -> None:
        st.activity += 1
        if st.last_activity is None or ts > st.last_activity:
            st.last_activity = ts

    def _refusal(self, st: _State, now: datetime) -> tuple[str, bool] | None:
        """(reason, final) or None to admit."""
        r = self.rules
        if st.rugged:
            return f"rugged: {st.rugged}", True
        if st.unsafe:
            return f"unsafe: {st.unsafe}", True
        born = st.created_at or st.first_seen
        if (now - born).total_seconds() > r.max_age_s:
            return "too_old", True
        if st.last_activity is not None and (now - st.last_activity).total_seconds() > r.idle_evict_s:
            return "stale", True
        if st.liquidity_usd is None:
            if r.require_liquidity:
                return "liquidity unknown", False
        elif st.liquidity_usd < r.min_liquidity_usd:
            return "liquidity", False
        if st.activity < r.min_activity:
            return "activity", False
        return None

    def _eviction(self, st: _State, now: datetime) -> str:
        if st.rugged:
            return f"rugged: {st.rugged}"
        if st.unsafe:
            return f"unsafe: {st.unsafe}"
        last = st.last_activity or st.admitted_at or st.first_seen
        if now - last > timedelta(seconds=self.rules.idle_evict_s):
            return "idle"
        return ""

    def _evict(self, st: _State, now: datetime, reason: str) -> WatchlistEntry:
        st.active, st.evicted_at = False, now
        return st.entry(now, WatchStatus.EVICTED, reason)

    def _bound_pending(self) -> None:
        pending = [s for s in self.states.values() if not s.active and s.evicted_at is None]
        extra = len(pending) - self.rules.max_pending
        if extra > 0:
            for st in sorted(pending, key=lambda s: (s.first_seen, s.mint))[:extra]:
                del self.states[st.mint]
