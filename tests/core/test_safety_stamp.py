"""The strategy runner stamps each signal with the mint's safety facts as of its event time, by the
risk gate's own fold (``core.risk.fold_fact``), and the gate decides an entry on that stamp: the
backtester's view of that moment, however far ahead of the signal the pipeline's gate has read
the on-chain topic (docs/EVENT_TIME.md).

The regression this pins: in a max-speed replay the gate had consumed a mint's on-chain facts
hours past a signal, its bounded as-of history no longer reached back, and the fallback (the
latest consumed facts: the LP pulled by a later rug) refused entries the backtester accepted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import msgspec

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import SAFETY_HISTORY, MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.core.risk import RiskLimits, safety_facts_of
from memesnipe.core.strategies import (
    Emit,
    InProcessRunner,
    Strategy,
    StrategyParams,
    engine_for,
    register_strategy,
)
from memesnipe.core.strategies.engine import new_context, safety_stamp
from memesnipe.settings import RiskSettings
from memesnipe.streams import decode, encode
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import MarketEvent, OnChainEvent, OnChainKind
from memesnipe.streams.trading import Intent, Order, OrderRejection, SafetyStamp, SafetyValue, Side, Signal
from memesnipe.tables.strategy_state import dump_state, load_state
from tests.agents import riskmsgs as m
from tests.core.strategies.scenario import MINT, at, price


class SpyParams(StrategyParams):
    pass


@register_strategy
class BuyOnPriceAndOnChain(Strategy[SpyParams]):
    """Emits a buy on every price and on-chain event it is stepped with."""

    family = "test_safety_stamp_spy"
    subscriptions: ClassVar = frozenset({"price", "onchain"})
    Params = SpyParams

    def initial_state(self) -> dict[str, Any]:
        return {}

    def step(self, s: dict[str, Any], ev: Any, t: float) -> tuple[dict[str, Any], Sequence[Emit]]:
        reason = ev.kind.value if isinstance(ev, OnChainEvent) else type(ev).__name__
        return s, (Emit(Side.BUY, Intent.ENTRY, 0.5, reason),)


def runner() -> InProcessRunner:
    return InProcessRunner(engine_for([StrategySpec(instance_id="spy", family=BuyOnPriceAndOnChain.family)]))


def facts(s: float, kind: OnChainKind = OnChainKind.HOLDERS, source: str = "sim", **kw: Any) -> OnChainEvent:
    return OnChainEvent(mint=MINT, ts=at(s), kind=kind, source=source, **kw)


GOOD: dict[str, Any] = {
    "mint_authority_live": False,
    "freeze_authority_live": False,
    "lp_locked_pct": 100.0,
    "top10_holder_pct": 20.0,
}


def test_a_signal_carries_each_facts_newest_value_source_and_time_as_of_its_event_time() -> None:
    sigs = runner().run_events(
        [
            price(0, 1.0),
            facts(10, OnChainKind.SAFETY, "solana_rpc", **GOOD),
            facts(20, source="rugcheck", rugcheck_score=3.0, rugcheck_danger=""),
            price(30, 1.1),
            facts(40, OnChainKind.SWAP, wallet="w"),  # carries no fact: nothing changes
        ]
    )
    assert sigs[0].safety == SafetyStamp()  # nothing known yet: known to be none
    t10, t20 = at(10).timestamp(), at(20).timestamp()
    want: dict[str, tuple[float, SafetyValue, str]] = {n: (t10, v, "solana_rpc") for n, v in GOOD.items()}
    want |= {"rugcheck_score": (t20, 3.0, "rugcheck"), "rugcheck_danger": (t20, "", "rugcheck")}
    assert sigs[3].safety == SafetyStamp(facts=want) == sigs[4].safety


def test_at_equal_event_times_a_signal_sees_the_facts_applied_before_its_cause() -> None:
    """As the backtester decides a signal right after the event that caused it: a holders update
    of the same instant, after the dev sell, is not known to the dev sell's signal."""
    sigs = runner().run_events(
        [facts(0, **GOOD), facts(30, OnChainKind.DEV_SELL, wallet="dev"), facts(30, lp_locked_pct=0.0)]
    )
    assert [(s.reason, s.safety.facts["lp_locked_pct"][1]) for s in sigs if s.safety] == [
        ("holders", 100.0),
        ("dev_sell", 100.0),
        ("holders", 0.0),
    ]


def test_the_stamp_is_the_gates_own_fold_as_of_the_same_moment() -> None:
    """One rule (``fold_fact``): for every signal, the stamp equals the gate's as-of facts after
    the same events in event-time order (partial messages of several sources, equal times)."""
    events: list[MarketEvent] = [
        facts(0, OnChainKind.SAFETY, "solana_rpc", **GOOD),
        facts(5, source="rugcheck", rugcheck_score=10.0),
        facts(9, source="pump_fun:bonding_curve", bonding_curve_pct=40.0, lp_locked_pct=100.0),
        facts(9, source="tie", lp_locked_pct=50.0),  # same instant: the later message wins
        facts(10, source="solana_rpc", top10_holder_pct=70.0),
        facts(12, source="solana_rpc", mint_authority_live=True),
    ]
    sigs = runner().run_events(events)
    assert len(sigs) == len(events)
    for i, sig in enumerate(sigs):
        st = MintRiskState()
        for ev in events[: i + 1]:
            apply_onchain(st, ev)  # type: ignore[arg-type]
        asof = st.safety_asof(sig.ts.timestamp())
        assert asof is not None and sig.safety is not None
        assert safety_facts_of(sig.safety.facts) == asof[0] == st.safety()


def test_the_gate_decides_on_the_stamp_however_far_ahead_it_read_the_on_chain_facts() -> None:
    """The replay's regression: the gate read a mint's holder updates (which repeat the safety
    facts) far past the signal, up to a rug that pulled the LP. Unstamped, the evicted as-of
    history falls back to the latest consumed facts and refuses; stamped, it decides as the
    backtester, and nothing falls back."""
    fallbacks: list[str] = []
    gate = RiskGate(RiskLimits.from_settings(RiskSettings()), on_fallback=fallbacks.append)
    st = MintRiskState()
    for i in range(3 * SAFETY_HISTORY):
        apply_onchain(st, m.safe("M1", t=100.0 * i, lp_locked_pct=100.0 if i < 2 * SAFETY_HISTORY else 0.0))
    apply_depth(st, m.depth("M1", t=450.0))
    stamp = SafetyStamp(
        facts={n: (m.at(400).timestamp(), v, "") for n, v in GOOD.items()}
    )  # the runner's fold as of t=500: the message of t=400
    unstamped = gate.on_signal(st, m.signal("a", "M1", t=500.0), ExposureBook(), None, {})
    assert isinstance(unstamped, OrderRejection) and unstamped.rule == "lp_unlocked"
    assert fallbacks == ["safety"]
    sig = msgspec.structs.replace(m.signal("b", "M1", t=500.0), safety=stamp)
    assert isinstance(gate.on_signal(st, sig, ExposureBook(), None, {}), Order)
    assert fallbacks == ["safety"]  # the stamp is exact: no fallback
    empty = msgspec.structs.replace(m.signal("c", "M1", t=500.0), safety=SafetyStamp())
    out = gate.on_signal(st, empty, ExposureBook(), None, {})
    assert isinstance(out, OrderRejection) and out.rule == "safety_unknown"  # known: none yet


def test_a_stored_context_keeps_stamping_and_one_from_before_the_facts_stamps_nothing() -> None:
    r = runner()
    r.run_events([facts(10, **GOOD)])
    stored = load_state(dump_state(r.contexts[MINT]))  # as the runner's table holds it (lists)
    assert stored is not None
    r.contexts = {MINT: stored}
    sig = r.run_events([price(20, 1.0)], start_offset=100)[0]
    assert sig.safety == SafetyStamp(facts={n: (at(10).timestamp(), v, "sim") for n, v in GOOD.items()})
    old = {k: v for k, v in new_context().items() if k != "sf"}  # stored before the facts were kept
    assert safety_stamp(old) is None and safety_stamp(new_context()) == SafetyStamp()
    r.contexts = {MINT: old}
    sigs = r.run_events([facts(30, **GOOD), price(40, 1.0)], start_offset=200)
    assert [s.safety for s in sigs] == [None, None]  # the gate uses its own history, as before


def test_the_safety_stamp_round_trips_and_older_signals_decode_unstamped() -> None:
    stamp = SafetyStamp(
        facts={"mint_authority_live": (1.0, False, "rpc"), "rugcheck_danger": (2.0, "", "rc")}
    )
    sig = msgspec.structs.replace(m.signal("s", "M1"), safety=stamp)
    assert decode(encode(sig), Signal) == sig
    legacy = encode(m.signal("s", "M1")).replace(b',"safety":null', b"")
    assert b"safety" not in legacy and decode(legacy, Signal).safety is None
