"""The watchlist keeper's admission and eviction rules, on event time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memesnipe.core.watchlist import Candidate, Watchlist, WatchlistRules
from memesnipe.streams.watchlist import DiscoveryOrigin, WatchStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)
A, B, C = "MintA111", "MintB222", "MintC333"


def cand(mint: str, ts: datetime = T0, origin: DiscoveryOrigin = DiscoveryOrigin.PUMP_CREATE) -> Candidate:
    return Candidate(mint, ts, origin, "test", created_at=ts)


def test_a_fresh_launch_is_admitted_once_and_an_old_one_refused() -> None:
    wl = Watchlist(WatchlistRules(max_age_s=600))
    wl.candidate(cand(A))
    wl.candidate(cand(B, T0 - timedelta(hours=1)))
    out = wl.evaluate(T0 + timedelta(seconds=5))
    assert [(e.mint, e.status) for e in out] == [(A, WatchStatus.ACTIVE)]
    assert wl.evaluate(T0 + timedelta(seconds=6)) == [] and wl.active() == [A]


def test_liquidity_waits_for_facts_and_unsafe_is_refused() -> None:
    wl = Watchlist(WatchlistRules(min_liquidity_usd=5000, require_liquidity=True))
    wl.candidate(cand(A))
    wl.candidate(cand(B))
    assert wl.evaluate(T0) == []  # liquidity unknown: waits
    wl.price(A, T0, liquidity_usd=8000, volume_usd_5m=100)
    wl.price(B, T0, liquidity_usd=9000, volume_usd_5m=100)
    wl.safety(B, mint_authority_live=True, freeze_authority_live=False, top10_holder_pct=None)
    out = wl.evaluate(T0 + timedelta(seconds=1))
    assert [e.mint for e in out] == [A] and out[0].liquidity_usd == 8000
    assert wl.evaluate(T0 + timedelta(seconds=2)) == [] and B not in wl.states  # refused, forgotten


def test_eviction_idle_rugged_and_size_bound_then_no_quick_readmission() -> None:
    wl = Watchlist(WatchlistRules(idle_evict_s=60, max_entries=2, readmit_after_s=300))
    for m in (A, B, C):
        wl.candidate(cand(m))
    wl.activity(C, T0 + timedelta(seconds=30))
    wl.activity(B, T0 + timedelta(seconds=20))
    out = wl.evaluate(T0 + timedelta(seconds=31))
    assert [(e.mint, e.status, e.reason) for e in out if e.status is WatchStatus.EVICTED] == [
        (A, WatchStatus.EVICTED, "size_bound")
    ]
    wl.rug(B, "lp_remove")
    out = wl.evaluate(T0 + timedelta(seconds=40))
    assert [(e.mint, e.reason) for e in out] == [(B, "rugged: lp_remove")]
    out = wl.evaluate(T0 + timedelta(seconds=91))  # C idle for 61 s
    assert [(e.mint, e.reason) for e in out] == [(C, "idle")]
    wl.candidate(cand(A, T0 + timedelta(seconds=100)))
    assert wl.evaluate(T0 + timedelta(seconds=100)) == []  # recently evicted: stays out
