"""The gate's safety reasons (bad, missing and stale facts name the fact, its source and age;
complete good facts pass with the default settings) and the liquidity rule on the order's own
price impact, interpolated on the same curve the paper fill prices on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.core.paper_fill import MarketView, impact_bps, simulate_buy
from memesnipe.core.risk import RiskLimits, order_impact_bps
from memesnipe.settings import RiskSettings
from memesnipe.streams.market import DepthEvent, DepthLevel, OnChainEvent, OnChainKind
from memesnipe.streams.trading import DepthStamp, Order, OrderRejection
from tests.agents import riskmsgs as m

GATE = RiskGate(RiskLimits.from_settings(RiskSettings()))  # the defaults
T0 = m.T0


def fact(t: float, source: str, **facts: object) -> OnChainEvent:
    ts = T0 + timedelta(seconds=t)
    return OnChainEvent(mint="M1", ts=ts, source=source, kind=OnChainKind.SAFETY, **facts)  # type: ignore[arg-type]


def live_facts(t: float = 0.0) -> list[OnChainEvent]:
    """What `memesnipe connect safety` publishes for a good pump.fun token: three sources."""
    return [
        fact(t, "solana_rpc", mint_authority_live=False, freeze_authority_live=False, top10_holder_pct=18.0),
        fact(t, "pump_fun:bonding_curve", bonding_curve_pct=42.0, lp_locked_pct=100.0),
        fact(t, "rugcheck", rugcheck_score=1.0, rugcheck_danger=""),
    ]


def decide(events: list[OnChainEvent], t: float = 10.0, **sig: object) -> Order | OrderRejection:
    st = MintRiskState()
    for ev in events:
        apply_onchain(st, ev)
    apply_depth(st, m.depth("M1", t=t - 1))  # fresh depth: only safety is under test
    out = GATE.on_signal(st, m.signal("s", "M1", t=t, **sig), ExposureBook(), None, {})  # type: ignore[arg-type]
    assert out is not None
    return out


def test_complete_good_facts_from_the_live_sources_pass_with_the_defaults() -> None:
    assert isinstance(decide(live_facts()), Order)


@pytest.mark.parametrize(
    ("bad", "rule", "needle"),
    [
        (fact(5, "solana_rpc", mint_authority_live=True), "mint_authority", "(solana_rpc, 5s old)"),
        (fact(5, "solana_rpc", freeze_authority_live=True), "freeze_authority", "(solana_rpc, 5s old)"),
        (
            fact(5, "rugcheck", lp_locked_pct=2.9768640982543357),
            "lp_unlocked",
            "only 3.0% of LP burned/locked",
        ),
        (fact(5, "solana_rpc", top10_holder_pct=61.0), "holder_concentration", "top-10 holders own 61.0%"),
        (
            fact(5, "rugcheck", rugcheck_danger="Low Liquidity"),
            "rugcheck_risk",
            "danger: Low Liquidity (rugcheck, 5s old)",
        ),
        (fact(5, "rugcheck", rugcheck_score=61.0), "rugcheck_risk", "RugCheck score 61 (> 60)"),
    ],
)
def test_a_bad_fact_refuses_naming_the_fact_its_source_and_age(
    bad: OnChainEvent, rule: str, needle: str
) -> None:
    out = decide([*live_facts(), bad])
    assert isinstance(out, OrderRejection) and out.rule == rule and needle in out.reason, out.reason


def test_lp_unlocked_names_the_source_that_said_so() -> None:
    out = decide([*live_facts(), fact(4, "rugcheck", lp_locked_pct=0.0)])
    assert isinstance(out, OrderRejection) and out.reason.endswith("(rugcheck, 6s old)")


def test_a_missing_fact_refuses_naming_it() -> None:
    rpc_only = [e for e in live_facts() if e.source == "solana_rpc"]  # no LP fact from any source
    out = decide(rpc_only)
    assert isinstance(out, OrderRejection) and out.rule == "safety_unknown"
    assert out.reason == "safety facts missing: lp_locked_pct"
    out = decide([])
    assert isinstance(out, OrderRejection) and out.rule == "safety_unknown"
    assert "mint_authority, freeze_authority, lp_locked_pct, top10_holder_pct" in out.reason


def test_a_stale_fact_refuses_naming_it_its_source_and_age() -> None:
    refresh = fact(1_000, "solana_rpc", mint_authority_live=False, freeze_authority_live=False)
    facts = [*live_facts(t=0), refresh]
    out = decide(facts, t=1_900)  # top10 (t=0) and the curve's LP (t=0) are 1900s old > 1800s
    assert isinstance(out, OrderRejection) and out.rule == "safety_stale"
    assert out.reason == (
        "safety facts older than 1800s: lp_locked_pct (pump_fun:bonding_curve, 1900s old),"
        " top10_holder_pct (solana_rpc, 1900s old)"
    )
    assert isinstance(decide(facts, t=1_800), Order)  # the bound is inclusive


def test_relaxed_settings_still_refuse_a_bad_fact_but_not_a_missing_one() -> None:
    gate = RiskGate(RiskLimits.from_settings(RiskSettings(require_safety_data=False)))
    st = MintRiskState()
    apply_depth(st, m.depth("M1"))
    assert isinstance(gate.on_signal(st, m.signal("a", "M1", t=1), ExposureBook(), None, {}), Order)
    apply_onchain(st, fact(0, "rugcheck", rugcheck_danger="Freeze Authority still enabled"))
    out = gate.on_signal(st, m.signal("b", "M1", t=1), ExposureBook(), None, {})
    assert isinstance(out, OrderRejection) and out.rule == "rugcheck_risk"


def test_fact_sources_survive_the_state_round_trip_and_history_eviction() -> None:
    from memesnipe.tables.risk import decode_state, encode_state

    st = MintRiskState()
    for ev in live_facts():
        apply_onchain(st, ev, keep=1)  # every change but the last is folded into the base
    back = decode_state(encode_state(st))
    facts = back.safety_asof((T0 + timedelta(seconds=1)).timestamp())
    assert facts is not None and facts[0] is not None
    assert facts[0].fact_src["lp_locked_pct"] == "pump_fun:bonding_curve"
    assert facts[0].fact_src["top10_holder_pct"] == "solana_rpc"
    assert back.safety() is not None and back.safety().fact_src["rugcheck_score"] == "rugcheck"  # type: ignore[union-attr]


# ---------------------------------------------------------------- liquidity by price impact

LEVELS = [(100.0, 20.0), (1_000.0, 150.0), (10_000.0, 1_200.0)]  # (size_usd, impact_bps)


def curve(t: float = 0.0, levels: list[tuple[float, float]] = LEVELS) -> DepthEvent:
    return DepthEvent(mint="M1", ts=T0 + timedelta(seconds=t), levels=[DepthLevel(s, i) for s, i in levels])


def test_impact_is_interpolated_at_the_orders_size() -> None:
    # 0.1 SOL at 150 USD/SOL = $15: 15/100 of the first segment from (0, 0) to (100, 20)
    assert order_impact_bps(100_000_000, 150.0, LEVELS, 0.0) == pytest.approx(3.0)
    # 4 SOL = $600: between (100, 20) and (1000, 150): 20 + 130 x 500/900
    assert order_impact_bps(4_000_000_000, 150.0, LEVELS, 0.0) == pytest.approx(20 + 130 * 500 / 900)
    # no levels: constant product on the pool liquidity
    assert order_impact_bps(100_000_000, 150.0, (), 30.0) == pytest.approx(10_000 * 15 / (15 + 15))


def _limits(**over: object) -> RiskLimits:
    return RiskLimits.from_settings(RiskSettings(**over))  # type: ignore[arg-type]


def _gate_on_curve(
    limits: RiskLimits, strength: float, stamp: DepthStamp | None = None
) -> Order | OrderRejection:
    st = MintRiskState()
    for ev in live_facts():
        apply_onchain(st, ev)
    apply_depth(st, curve())
    sig = m.signal("s", "M1", t=5, strength=strength)
    if stamp is not None:
        import msgspec

        sig = msgspec.structs.replace(sig, depth=stamp)
    out = RiskGate(limits).on_signal(st, sig, ExposureBook(), None, {"inst-a": m.allocation("inst-a", 0.2)})
    assert out is not None
    return out


def test_the_gate_refuses_by_the_orders_impact_not_by_the_largest_quote() -> None:
    limits = _limits(max_entry_impact_bps=100.0, max_order_lamports=10 * 10**9)
    # weight 0.2 x 5% x 100 SOL = 1 SOL at $150/SOL: 20 + 130 x 50/900 = 27.2 bps
    assert isinstance(_gate_on_curve(limits, 1.0), Order)
    # same curve, same largest quote ($10k); only the order's size differs
    st = MintRiskState()
    for ev in live_facts():
        apply_onchain(st, ev)
    apply_depth(st, curve())
    big = {"inst-a": m.allocation("inst-a", 1.0)}  # 100 SOL x 1.0 x 5% = 5 SOL = $750
    res = RiskGate(limits).on_signal(st, m.signal("b", "M1", t=5), ExposureBook(), None, big)
    assert isinstance(res, OrderRejection) and res.rule == "liquidity_cap"  # 20 + 130 x 650/900
    assert "moves the price 114 bps (> 100 bps) on 3 quoted sizes up to $10,000" in res.reason


def test_gate_and_paper_fill_price_the_order_on_the_same_curve() -> None:
    stamp = DepthStamp(levels=((200.0, 400.0),), liquidity_usd=0.0)  # the signal's depth, as the fill sees it
    limits = _limits(max_entry_impact_bps=100.0)
    # the gate's own history (LEVELS) would allow $150 (27.8 bps); the stamp says 300 bps: refused
    out = _gate_on_curve(limits, 1.0, stamp)
    assert isinstance(out, OrderRejection) and "300 bps" in out.reason
    ok = _gate_on_curve(_limits(max_entry_impact_bps=400.0), 1.0, stamp)
    assert isinstance(ok, Order)
    fill = simulate_buy(
        ok.amount_in,
        MarketView(price_sol=m.PRICE_SOL, price_usd=m.PRICE_USD, levels=ok.depth.levels if ok.depth else ()),
        fee_bps=0,
        flat_slippage_bps=50,
    )
    assert fill.model == "depth"
    assert fill.impact_bps == pytest.approx(order_impact_bps(ok.amount_in, 150.0, stamp.levels, 0.0))
    assert fill.impact_bps == pytest.approx(impact_bps(150.0, stamp.levels)[0]) == pytest.approx(300.0)


def test_stale_or_missing_curve_is_still_refused() -> None:
    st = MintRiskState()
    for ev in live_facts():
        apply_onchain(st, ev)
    out = GATE.on_signal(st, m.signal("a", "M1", t=5), ExposureBook(), None, {})
    assert isinstance(out, OrderRejection) and out.rule == "no_depth"
    apply_depth(st, curve(t=0))
    out = GATE.on_signal(st, m.signal("b", "M1", t=601), ExposureBook(), None, {})
    assert isinstance(out, OrderRejection) and out.rule == "stale_depth"


def test_the_depth_curve_of_an_old_state_loads() -> None:
    st = MintRiskState(depth_hist=[(1.0, 5_000.0)])
    assert st.depth_curves == [[]] and st.depth_asof(2.0) == (5_000.0, 1.0, [])
