"""The engine stamps each signal with the mint's depth as of the signal's event time (the market
context's last depth snapshot), as it stamps the price: what the backtester fills with, carried to
the router for a replay whose depth history no longer reaches back (docs/EVENT_TIME.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from memesnipe.core.strategies import (
    Emit,
    InProcessRunner,
    Strategy,
    StrategyParams,
    engine_for,
    register_strategy,
)
from memesnipe.core.strategies.engine import depth_stamp, new_context
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import DepthEvent, DepthLevel, MarketEvent
from memesnipe.streams.trading import DepthStamp, Intent, Side, Signal
from memesnipe.tables.strategy_state import dump_state, load_state
from tests.core.strategies.scenario import MINT, at, price, social


class EveryParams(StrategyParams):
    pass


@register_strategy
class BuyOnEveryEvent(Strategy[EveryParams]):
    """Emits a buy on every price and social event it is stepped with."""

    family = "test_depth_stamp_spy"
    subscriptions: ClassVar = frozenset({"price", "social"})
    Params = EveryParams

    def initial_state(self) -> dict[str, Any]:
        return {}

    def step(self, s: dict[str, Any], ev: Any, t: float) -> tuple[dict[str, Any], Sequence[Emit]]:
        return s, (Emit(Side.BUY, Intent.ENTRY, 0.5, type(ev).__name__),)


def runner() -> InProcessRunner:
    return InProcessRunner(engine_for([StrategySpec(instance_id="spy", family=BuyOnEveryEvent.family)]))


def depth(s: float, impact: float, liq: float) -> DepthEvent:
    levels = [DepthLevel(100.0, impact), DepthLevel(1_000.0, impact * 10)]
    return DepthEvent(mint=MINT, ts=at(s), levels=levels, liquidity_usd=liq)


def stamp(impact: float, liq: float) -> DepthStamp:
    return DepthStamp(levels=((100.0, impact), (1_000.0, impact * 10)), liquidity_usd=liq)


def run(r: InProcessRunner, events: list[MarketEvent]) -> list[Signal]:
    """One batch; offsets go on from the runner's previous batch (a replayed offset is skipped)."""
    start = getattr(r, "_next_offset", 0)
    r._next_offset = start + len(events)  # type: ignore[attr-defined]
    return r.run_events(events, start_offset=start)


def test_a_signal_carries_the_depth_snapshot_as_of_its_event_time() -> None:
    r = runner()
    before = run(r, [price(0, 1.0)])
    assert before[0].depth == DepthStamp()  # no snapshot yet: known to be none, as the backtester
    sigs = run(r, [depth(10, 5.0, 20_000.0), social(20, 3, 2), depth(30, 9.0, 0.0), price(40, 1.1)])
    assert [s.depth for s in sigs] == [stamp(5.0, 20_000.0), stamp(9.0, 0.0)]
    assert sigs[0].price_usd == 1.0 and sigs[1].price_usd == 1.1
    # an older snapshot arriving late never replaces the newer one (event time wins)
    assert run(r, [depth(25, 1.0, 1.0), social(50, 3, 2)])[0].depth == stamp(9.0, 0.0)


def test_at_equal_event_times_a_price_signal_sees_the_depth_before_that_instant() -> None:
    """Price ranks before depth at one instant (``order_batch``), as in the backtester's walk:
    a signal caused by the price at t carries the earlier snapshot, one caused by a later-ranked
    event at t the snapshot of t."""
    sigs = run(runner(), [depth(0, 1.0, 100.0), depth(30, 2.0, 200.0), price(30, 1.0), social(30, 3, 2)])
    assert [(s.reason, s.depth) for s in sigs] == [
        ("PriceEvent", stamp(1.0, 100.0)),
        ("SocialEvent", stamp(2.0, 200.0)),
    ]


def test_the_stamp_survives_the_context_table_round_trip_and_old_contexts_stamp_nothing() -> None:
    r = runner()
    run(r, [depth(10, 5.0, 20_000.0)])
    stored = load_state(dump_state(r.contexts[MINT]))  # as the runner's table holds it
    assert stored is not None and isinstance(stored["dl"][0], dict)
    r.contexts = {MINT: stored}
    assert run(r, [social(20, 3, 2)])[0].depth == stamp(5.0, 20_000.0)
    old = {"px": 1.0, "ps": 0.01, "pt": at(5).timestamp(), "pm": -1}  # stored before depth was kept
    assert depth_stamp(old) is None and depth_stamp(new_context()) == DepthStamp()
    r.contexts = {MINT: old}
    assert run(r, [social(30, 3, 2)])[0].depth is None  # unknown: the router falls back as before
    sigs = run(r, [depth(40, 7.0, 1.0), social(50, 3, 2)])
    assert sigs[0].depth == stamp(7.0, 1.0) and sigs[0].price_usd == 1.0


def test_a_depth_event_alone_is_no_strategy_input_but_updates_the_context() -> None:
    r = runner()
    assert run(r, [depth(10, 5.0, 20_000.0)]) == []
    ctx = r.contexts[MINT]
    assert (ctx["dq"], ctx["dt"], ctx["px"]) == (20_000.0, at(10).timestamp(), 0.0)
