"""The engine: routing by subscription, exact replay, short-thesis conversion, spec changes,
replay invariance (batching, JSON round trips, a week's time shift)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import msgspec
import pytest

from memesnipe.connectors.simulator.model import MarketSimulator
from memesnipe.core.strategies import (
    NO_EMITS,
    Emit,
    InProcessRunner,
    SpecError,
    Strategy,
    StrategyEngine,
    StrategyParams,
    engine_for,
    register_strategy,
)
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.core.strategies.engine import order_batch
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import MarketEvent, PriceEvent, SocialEvent
from memesnipe.streams.trading import Intent, Side, Signal
from tests.core.strategies.scenario import MINT, at, funding, price, social

CALLS: list[tuple[str, str]] = []


class SpyParams(StrategyParams):
    every: int = 1


@register_strategy
class SpyPrice(Strategy[SpyParams]):
    """Records every event it is stepped with; emits a short thesis every ``every`` events."""

    family = "test_spy_price"
    subscriptions: ClassVar = frozenset({"price"})
    Params = SpyParams

    def initial_state(self) -> dict[str, Any]:
        return {"n": 0}

    def step(self, s: dict[str, Any], ev: Any, t: float) -> tuple[dict[str, Any], Sequence[Emit]]:
        CALLS.append((self.instance_id, type(ev).__name__))
        s["n"] += 1
        if s["n"] % self.params.every == 0:
            return s, (Emit(Side.SHORT, Intent.ENTRY, 0.5, f"spy {s['n']}"),)
        return s, NO_EMITS


def spy(iid: str = "spy", every: int = 1000) -> StrategySpec:
    return StrategySpec(instance_id=iid, family="test_spy_price", params={"every": every})


def items_of(events: list[MarketEvent]) -> list:
    counters: dict[str, int] = {}
    out = []
    for ev in events:
        tp = str(type(ev).__struct_config__.tag)
        off = counters.get(tp, 0)
        counters[tp] = off + 1
        out.append((ev.ts.timestamp(), tp, 0, off, ev, None))
    return out


def test_an_instance_only_sees_the_event_types_it_subscribed_to():
    CALLS.clear()
    eng = engine_for([spy()])
    assert set(eng.routes) == {PriceEvent}
    InProcessRunner(eng).run_events([social(0, 5, 5), price(1, 1.0), social(2, 5, 5), funding(3, 1.0, 0.0)])
    assert CALLS == [("spy", "PriceEvent")]


def test_replayed_inputs_are_skipped_so_state_and_signals_are_exact():
    runner = InProcessRunner(engine_for([spy(every=2)]))
    items = items_of([price(i, 1.0) for i in range(10)])
    first = runner.run(list(items[:6]))
    # a crash after the first 6 were applied; the broker re-delivers from offset 3
    again = runner.run(list(items[3:]))
    assert [s.signal_id for s in first] == [f"price/0/{o}|spy" for o in (1, 3, 5)]
    assert [s.signal_id for s in again] == [f"price/0/{o}|spy" for o in (7, 9)]
    assert runner.states[f"spy|{MINT}"]["n"] == 10
    assert runner.states[f"spy|{MINT}"]["_off"] == {"price": 9}


def test_short_thesis_is_a_drift_short_only_where_the_mint_has_a_perp_market():
    runner = InProcessRunner(engine_for([spy(every=1)]))
    (no_perp,) = runner.run_events([price(0, 2.0)])
    assert (no_perp.side, no_perp.intent, no_perp.block_entries) == (Side.SELL, Intent.EXIT, True)
    assert no_perp.perp_market_index is None and "no Drift perp market" in no_perp.reason
    assert no_perp.price_usd == 2.0
    (short,) = runner.run_events([funding(10, 2.0, 0.0, market_index=5), price(20, 2.1)], start_offset=100)
    assert (short.side, short.intent, short.block_entries) == (Side.SHORT, Intent.ENTRY, False)
    assert short.perp_market_index == 5 and short.price_usd == 2.1


def test_signals_carry_the_last_price_even_when_another_event_type_caused_them():
    sigs = InProcessRunner(engine_for(default_specs())).run_events(
        [price(0, 0.5), *(social(60 * i, 10, 8) for i in range(40)), social(2_400, 50, 30)]
    )
    (buzz,) = [s for s in sigs if s.family == "social_buzz"]
    assert buzz.price_usd == 0.5 and buzz.price_sol == pytest.approx(0.5 / 150)


def test_a_bad_spec_is_refused_and_the_running_set_is_untouched():
    eng = engine_for([spy("a")])
    before = eng.instances["a"]
    with pytest.raises(SpecError, match="unknown strategy family 'nope'"):
        eng.apply_spec(StrategySpec(instance_id="a", family="nope"))
    with pytest.raises(SpecError, match="every"):
        eng.apply_spec(StrategySpec(instance_id="a", family="test_spy_price", params={"every": "x"}))
    with pytest.raises(SpecError, match="evry: Extra inputs are not permitted"):
        eng.apply_spec(StrategySpec(instance_id="a", family="test_spy_price", params={"evry": 2}))
    assert eng.instances == {"a": before}


def test_disable_stops_routing_and_enable_resumes_with_the_kept_state():
    runner = InProcessRunner(engine_for([spy("a")]))
    runner.run_events([price(0, 1.0), price(1, 1.0)])
    assert runner.engine.apply_spec(
        StrategySpec(instance_id="a", family="test_spy_price", enabled=False)
    ) == ("disabled")
    assert runner.engine.routes == {}
    runner.run_events([price(2, 1.0)], start_offset=2)
    assert runner.states[f"a|{MINT}"]["n"] == 2
    runner.engine.apply_spec(spy("a"))
    runner.run_events([price(3, 1.0)], start_offset=3)
    assert runner.states[f"a|{MINT}"]["n"] == 3


def test_threshold_changes_keep_state_and_window_changes_reset_it():
    eng = engine_for([StrategySpec(instance_id="m", family="momentum_5m")])
    runner = InProcessRunner(eng)
    runner.run_events([price(30 * i, 1.0) for i in range(60)])
    before = runner.states[f"m|{MINT}"]
    eng.apply_spec(StrategySpec(instance_id="m", family="momentum_5m", params={"min_return": 0.1}))
    runner.run_events([price(1_800, 1.0)], start_offset=60)
    assert runner.states[f"m|{MINT}"]["v"][2] == before["v"][2] == 61.0  # kept, one more sample
    eng.apply_spec(StrategySpec(instance_id="m", family="momentum_5m", params={"baseline_s": 1800}))
    runner.run_events([price(1_830, 1.0)], start_offset=61)
    st = runner.states[f"m|{MINT}"]
    assert st["v"][2] == 1.0 and st["_off"] == {"price": 61}  # fresh windows, offsets kept


def sim_events(n: int, start: datetime, mints: int = 8, seed: int = 11, **kw: Any) -> list[MarketEvent]:
    return list(itertools.islice(MarketSimulator(seed, mints, start, 5.0, **kw).events(), n))


def comparable(s: Signal, shift: timedelta = timedelta(0)) -> tuple:
    d = msgspec.to_builtins(s)
    d["ts"] = (s.ts - shift).isoformat()
    if s.safety is not None:  # the safety stamp's facts carry their own event times
        sec = shift.total_seconds()
        d["safety"] = {n: (t - sec, v, src) for n, (t, v, src) in s.safety.facts.items()}
    return tuple(sorted((k, repr(v)) for k, v in d.items()))


def per_mint(signals: list[Signal], shift: timedelta = timedelta(0)) -> dict[str, list[tuple]]:
    """Signals in order per mint: the order that matters (the signals topic is keyed by mint);
    across mints, batch boundaries may interleave same-instant signals differently."""
    out: dict[str, list[tuple]] = {}
    for s in signals:
        out.setdefault(s.mint, []).append(comparable(s, shift))
    return out


@pytest.fixture(scope="module")
def stream() -> list[MarketEvent]:
    return sim_events(120_000, datetime(2026, 3, 2, tzinfo=UTC))


@pytest.fixture(scope="module")
def reference(stream) -> list[Signal]:
    return InProcessRunner(engine_for(default_specs())).run_events(stream)


def test_the_default_families_fire_on_the_simulator(reference):
    fired = {s.family for s in reference if s.intent is Intent.ENTRY or s.block_entries}
    # korean_time_burst needs a previous day of the same hours; the 22 h stream has none
    assert fired >= {f for f in (s.family for s in default_specs()) if f != "korean_time_burst"}


def test_same_signals_in_small_batches_with_state_round_tripped_through_json(stream, reference):
    eng = engine_for(default_specs())
    states: dict[str, bytes] = {}
    contexts: dict[str, bytes] = {}
    dec = msgspec.json.decode
    out: list[Signal] = []
    items = items_of(stream)
    for i in range(0, len(items), 317):
        res = eng.process(
            order_batch(items[i : i + 317]),
            lambda k: dec(states[k]) if k in states else None,
            lambda m: dec(contexts[m]) if m in contexts else None,
        )
        out += [s for _, s in res.signals]
        states.update({k: msgspec.json.encode(st) for k, (_, st) in res.states.items()})
        contexts.update({k: msgspec.json.encode(c) for k, (_, c) in res.contexts.items()})
    assert per_mint(out) == per_mint(reference)


def test_same_signals_with_every_timestamp_shifted_by_a_week(stream, reference):
    week = timedelta(days=7)
    shifted = []
    for ev in stream:
        changes: dict[str, Any] = {"ts": ev.ts + week}
        if getattr(ev, "lp_unlock_ts", None) is not None:
            changes["lp_unlock_ts"] = ev.lp_unlock_ts + week  # type: ignore[attr-defined]
        shifted.append(msgspec.structs.replace(ev, **changes))
    out = InProcessRunner(engine_for(default_specs())).run_events(shifted)
    assert len(out) == len(reference) > 50
    assert per_mint(out, week) == per_mint(reference)


def test_korean_time_burst_fires_on_a_multi_day_simulation():
    # without rugs: the simulator's rugged tokens stay dead, so none lives to a second Seoul session
    evs = sim_events(150_000, datetime(2026, 3, 2, tzinfo=UTC), mints=3, seed=5, rug_prob=0.0)
    assert evs[-1].ts - evs[0].ts > timedelta(days=1, hours=15)  # all of the second Seoul session
    sigs = InProcessRunner(engine_for(default_specs())).run_events(evs)
    assert any(s.family == "korean_time_burst" and s.intent is Intent.ENTRY for s in sigs)


def test_routing_table_lists_each_instance_under_each_subscribed_type_once():
    eng = StrategyEngine()
    for s in default_specs():
        eng.apply_spec(s)
    by_type = {tp.__name__: sorted(i.family for i in insts) for tp, insts in eng.routes.items()}
    assert by_type["PriceEvent"] == ["korean_time_burst", "mean_revert_1h", "momentum_5m", "perp_basis_arb"]
    assert by_type["SocialEvent"] == ["social_buzz"]
    assert "DepthEvent" not in by_type and "SolPriceEvent" not in by_type
    assert SocialEvent in eng.routes and at(0).tzinfo is UTC
