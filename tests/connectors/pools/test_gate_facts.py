"""The LP fact from a pool's own state in the risk gate's safety rules (the gate's own pure
check, default settings): a burned pool passes, an unburned one is refused naming the fact and
its source, and without it the entry is refused as missing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from memesnipe.connectors.pools.reserves import PoolReading, TokenBalance, pool_event
from memesnipe.connectors.pools.state import PoolState
from memesnipe.core.risk import RiskLimits, carried_facts, check_token_safety, fold_fact, safety_facts_of
from memesnipe.settings import load_settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainEvent, OnChainKind

TOKEN = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
LIMITS = RiskLimits.from_settings(load_settings().risk)
STATE = PoolState("raydium_amm_v4", "pool", TOKEN, SOL_MINT, "va", "vb", "lp", lp_supply=1_000_000)


def pool_fact(circulating_lp: int, at: datetime = NOW) -> OnChainEvent:
    r = PoolReading(
        STATE, TokenBalance(TOKEN, 10**14, 6), TokenBalance(SOL_MINT, 80 * 10**9, 9), circulating_lp
    )
    ev = pool_event(r, at, sol_usd=200.0)
    assert ev is not None
    return ev


RPC_FACTS = OnChainEvent(
    mint=TOKEN,
    ts=NOW,
    source="solana_rpc",
    kind=OnChainKind.SAFETY,
    mint_authority_live=False,
    freeze_authority_live=False,
    top10_holder_pct=12.0,
)


def decide(*events: OnChainEvent) -> Any:
    vals: dict[str, Any] = {}
    for ev in events:
        for name, value in carried_facts(ev).items():
            fold_fact(vals, name, ev.ts.timestamp(), value, ev.source)
    return check_token_safety(safety_facts_of(vals), NOW.timestamp(), LIMITS)


def test_a_pool_whose_lp_is_burned_completes_the_facts_and_passes_with_defaults() -> None:
    assert decide(RPC_FACTS, pool_fact(0)) is None


def test_lp_still_in_circulation_is_refused_naming_the_fact_and_the_pool_as_its_source() -> None:
    r = decide(RPC_FACTS, pool_fact(1_000_000 // 2, at=NOW - timedelta(seconds=40)))
    assert r is not None and r.rule == "lp_unlocked"
    assert "50.0% of LP burned/locked" in r.reason and "(raydium_amm_v4:pool, 40s old)" in r.reason


def test_without_the_pool_fact_the_entry_is_refused_as_missing_it() -> None:
    r = decide(RPC_FACTS)
    assert r is not None and r.rule == "safety_unknown" and "lp_locked_pct" in r.reason


def test_a_stale_pool_fact_is_refused_as_stale() -> None:
    r = decide(RPC_FACTS, pool_fact(0, at=NOW - timedelta(seconds=LIMITS.max_safety_age_s + 60)))
    assert r is not None and r.rule == "safety_stale" and "raydium_amm_v4:pool" in r.reason
