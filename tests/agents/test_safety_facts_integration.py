"""Safety facts through the real broker and the risk gate's worker with DEFAULT risk settings:
a token whose complete, good facts arrive from the live sources (solana_rpc, the pump.fun curve,
RugCheck; each its own message) is traded; a token with one bad fact is refused with a reason
naming the fact, its source and age; one with a missing fact is refused naming it."""

from __future__ import annotations

import asyncio

import pytest

from memesnipe.streams.market import DepthEvent, DepthLevel, OnChainEvent, OnChainKind
from tests.agents import riskmsgs as m
from tests.agents.test_risk_gate_rules_integration import GATE_ONLY, outputs, send, start
from tests.support.kafka import IsolatedEnv, create_topics

pytestmark = pytest.mark.integration


def fact(mint: str, source: str, t: float = 0.0, **facts: object) -> OnChainEvent:
    return OnChainEvent(mint=mint, ts=m.at(t), source=source, kind=OnChainKind.SAFETY, **facts)  # type: ignore[arg-type]


def live_facts(mint: str, **rugcheck: object) -> list[OnChainEvent]:
    return [
        fact(
            mint, "solana_rpc", mint_authority_live=False, freeze_authority_live=False, top10_holder_pct=18.0
        ),
        fact(mint, "pump_fun:bonding_curve", bonding_curve_pct=42.0, lp_locked_pct=100.0),
        fact(mint, "rugcheck", **({"rugcheck_score": 1.0, "rugcheck_danger": ""} | rugcheck)),  # type: ignore[arg-type]
    ]


def curve(mint: str) -> DepthEvent:
    return DepthEvent(
        mint=mint,
        ts=m.at(0),
        source="depth:jupiter",
        levels=[DepthLevel(100.0, 20.0), DepthLevel(1_000.0, 150.0), DepthLevel(10_000.0, 1_200.0)],
    )


async def test_good_facts_trade_and_a_bad_or_missing_fact_is_refused_with_its_reason(
    isolated_env: IsolatedEnv,
) -> None:
    env = isolated_env
    env.extra.update(GATE_ONLY)  # nothing else: every risk setting at its default
    await create_topics(env)
    facts = (
        live_facts("Mgood")
        + live_facts("Mdanger", rugcheck_danger="Low Liquidity")
        + [e for e in live_facts("Mnolp") if e.source != "pump_fun:bonding_curve"]
    )
    w = start(env, "safety")
    try:
        await send(env, "onchain", facts)
        await send(env, "depth", [curve(x) for x in ("Mgood", "Mdanger", "Mnolp")])
        await asyncio.sleep(2.0)
        await send(
            env,
            "signals",
            [
                m.signal("g", "Mgood", instance="i-g", t=12),
                m.signal("d", "Mdanger", instance="i-d", t=12),
                m.signal("n", "Mnolp", instance="i-n", t=12),
            ],
        )
        orders, rej = await outputs(env, 1, 2)
    finally:
        w.stop()
    assert [(o.mint, o.amount_in) for o in orders] == [("Mgood", 100_000_000)]
    by_mint = {r.mint: r for r in rej}
    assert set(by_mint) == {"Mdanger", "Mnolp"}
    assert by_mint["Mdanger"].rule == "rugcheck_risk"
    assert by_mint["Mdanger"].reason == "RugCheck reports danger: Low Liquidity (rugcheck, 12s old)"
    assert by_mint["Mnolp"].rule == "safety_unknown"
    assert by_mint["Mnolp"].reason == "safety facts missing: lp_locked_pct"
