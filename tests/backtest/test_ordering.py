"""The backtester's fast ordering of a chunk is exactly ``order_batch``'s (same inputs, same
order, same per-topic numbering), and a run is the same whichever path each chunk takes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice

import msgspec
import pytest

from memesnipe.backtest import Backtester
from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.settings import load_settings
from memesnipe.streams.market import MarketEvent, OnChainEvent, OnChainKind, PriceEvent

T0 = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MEMESNIPE_DATA_DIR", str(tmp_path))
    return load_settings()


def sim_events(n: int, seed: int = 5) -> list[MarketEvent]:
    sim = MarketSimulator(seed, 6, T0, tick_s=5.0, pump_prob=0.02, rug_prob=0.005)
    return list(islice(sim.events(), n))


def jostled(events: list[MarketEvent], seed: int, p: float = 0.02) -> list[MarketEvent]:
    """Some events swapped with one a few places later (time goes backwards here and there)."""
    out = list(events)
    rnd = random.Random(seed)
    for i in range(len(out) - 6):
        if rnd.random() < p:
            j = i + rnd.randint(1, 5)
            out[i], out[j] = out[j], out[i]
    return out


def generic_then_fast(settings, chunk: list[MarketEvent]) -> tuple[list, list, dict, dict]:
    a, b = Backtester([], settings), Backtester([], settings)
    a._seq = {"price": 7, "depth": 3}
    b._seq = dict(a._seq)
    slow, fast = a._items_any(chunk), b._items(chunk)
    return slow, fast, a._seq, b._seq


def strip_ref(items: list) -> list[tuple]:
    return [it[:5] for it in items]


@pytest.mark.parametrize("seed", range(4))
def test_fast_order_is_order_batch_order(settings, seed) -> None:
    events = sim_events(3000, seed)
    for chunk in (events, jostled(events, seed)):
        slow, fast, seq_slow, seq_fast = generic_then_fast(settings, chunk)
        assert strip_ref(fast) == strip_ref(slow)
        assert seq_fast == seq_slow
        assert len({it[5] for it in fast}) == len(fast)  # references are unique in the chunk


def test_same_instant_of_every_type_is_ordered_by_type_rank(settings) -> None:
    events = sim_events(400)
    same = [msgspec.structs.replace(ev, ts=T0) for ev in reversed(events)]
    slow, fast, _, _ = generic_then_fast(settings, same)
    assert strip_ref(fast) == strip_ref(slow)
    tags = [it[1] for it in fast]
    ranks = ["price", "sol_price", "depth", "funding", "social", "bridge", "onchain"]
    assert tags == sorted(tags, key=ranks.index)


def test_equal_instants_in_other_zones_and_folds(settings) -> None:
    """An instant written in another zone is the same time; a repeated wall time with a
    different ``fold`` is not assumed to be (its epoch seconds are computed again)."""
    plus2 = timezone(timedelta(hours=2))
    stamps = [T0, T0.astimezone(plus2), T0, T0.replace(fold=1), T0 + timedelta(seconds=1)]
    events: list[MarketEvent] = []
    for i, ts in enumerate(stamps):
        events.append(PriceEvent(mint=f"M{i % 2}", ts=ts, price_usd=1.0, price_sol=0.01))
        events.append(OnChainEvent(mint="M0", ts=ts, kind=OnChainKind.SAFETY, lp_locked_pct=float(i)))
    slow, fast, _, _ = generic_then_fast(settings, events)
    assert strip_ref(fast) == strip_ref(slow)
    assert [it[0] for it in fast] == sorted(ev.ts.timestamp() for ev in events)


def test_a_repeated_wall_time_in_a_zone_with_folds_is_two_instants(settings) -> None:
    zone = pytest.importorskip("zoneinfo").ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 30, tzinfo=zone)  # clocks go back at 02:00: 01:30 twice
    second = first.replace(fold=1)
    assert first == second and second.timestamp() - first.timestamp() == 3600
    events: list[MarketEvent] = [
        PriceEvent(mint=f"M{i}", ts=ts, price_usd=1.0, price_sol=0.01) for i, ts in enumerate([first, second])
    ]
    slow, fast, _, _ = generic_then_fast(settings, events)
    assert strip_ref(fast) == strip_ref(slow)
    assert [it[0] for it in fast] == [first.timestamp(), second.timestamp()]


def test_unknown_event_type_takes_the_generic_path(settings) -> None:
    class OtherEvent(PriceEvent, frozen=True, kw_only=True, tag="other"):
        pass

    events = sim_events(500)
    events.insert(250, OtherEvent(mint="X", ts=events[250].ts, price_usd=1.0, price_sol=0.01))
    slow, fast, seq_slow, seq_fast = generic_then_fast(settings, events)
    assert strip_ref(fast) == strip_ref(slow)
    assert seq_fast == seq_slow and seq_fast["other"] == 1


@pytest.mark.parametrize("jostle", [False, True])
def test_a_run_is_the_same_on_either_path(settings, monkeypatch, jostle) -> None:
    events = sim_events(40_000, seed=3)
    if jostle:
        events = jostled(events, 3, p=0.001)
    fast = Backtester(default_specs(), settings, chunk=1000).run(events)
    monkeypatch.setattr(Backtester, "_items", Backtester._items_any)
    slow = Backtester(default_specs(), settings, chunk=1000).run(events)
    assert fast.signals, "the run must produce signals to compare"
    for name in ("signals", "orders", "rejections", "fills", "allocations", "equity", "realized"):
        assert getattr(fast, name) == getattr(slow, name), name
