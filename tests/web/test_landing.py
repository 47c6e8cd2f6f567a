"""The landing panel from a seeded chDB: outcomes, time to land and realised slippage, per venue."""

from __future__ import annotations

from datetime import timedelta

from memesnipe.sinks.client import Store
from memesnipe.streams import OrderState, OrderUpdate
from memesnipe.web.landing import NONE_YET_NOTE, PAPER_NOTE, landing, nearest_rank
from tests.web.seed import T0, Seeder, queries, seed_live_landing


def test_a_paper_run_has_no_landing_and_says_so(seeded_store: tuple[Store, Seeder]) -> None:
    store, _ = seeded_store
    got = landing(queries(store), "paper")
    assert got.available is False and got.total is None and got.venues == []
    assert got.note == PAPER_NOTE
    assert landing(queries(store), "live").note == NONE_YET_NOTE


def test_live_submissions_give_outcomes_time_to_land_and_slippage(seeded_store: tuple[Store, Seeder]) -> None:
    store, seeder = seeded_store
    seed_live_landing(seeder)
    got = landing(queries(store), "live")
    assert got.available is True
    t = got.total
    assert t is not None
    assert (t.submitted, t.landed, t.failed, t.expired, t.pending) == (6, 3, 1, 1, 1)
    assert t.landing_rate == 3 / 5
    assert (t.time_to_land_p50_s, t.time_to_land_p90_s) == (1.2, 2.0)
    assert t.slippage_fills == 3
    assert (t.slippage_p50_bps, t.slippage_p90_bps) == (50.0, 100.0)
    by = {v.venue: v for v in got.venues}
    assert sorted(by) == ["drift", "jupiter"]
    j, d = by["jupiter"], by["drift"]
    assert (j.submitted, j.landed, j.failed, j.expired, j.pending) == (4, 2, 1, 0, 1)
    assert j.landing_rate == 2 / 3
    assert (j.time_to_land_p50_s, j.time_to_land_p90_s) == (1.2, 2.0)
    assert (j.slippage_p50_bps, j.slippage_p90_bps) == (50.0, 100.0)
    assert (d.landed, d.expired, d.landing_rate, d.time_to_land_p50_s) == (1, 1, 0.5, 0.8)
    assert (d.slippage_p50_bps, d.slippage_p90_bps) == (-20.0, -20.0)


def test_a_replayed_lifecycle_counts_once(seeded_store: tuple[Store, Seeder]) -> None:
    store, seeder = seeded_store
    seed_live_landing(seeder)
    seed_live_landing(seeder)  # the sink stored every record twice (replay / retried insert)
    t = landing(queries(store), "live").total
    assert t is not None
    assert (t.submitted, t.landed, t.slippage_fills, t.landing_rate) == (6, 3, 3, 3 / 5)


def test_nearest_rank_returns_an_observed_value() -> None:
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0
    assert nearest_rank([3.0, 1.0, 2.0, 4.0], 0.9) == 4.0
    assert nearest_rank([7.0], 0.9) == 7.0


def test_a_landing_that_proved_failed_on_chain_counts_as_failed_with_no_time(
    seeded_store: tuple[Store, Seeder],
) -> None:
    store, seeder = seeded_store
    seed_live_landing(seeder)
    sent = T0 + timedelta(minutes=101)  # live-0001 landed 1.2 s after it was sent; its tx then read failed
    failed = OrderUpdate(order_id="live-0001", state=OrderState.FAILED, ts=sent + timedelta(seconds=5))
    seeder.put("order_updates", failed)
    t = landing(queries(store), "live").total
    assert t is not None
    assert (t.landed, t.failed, t.landing_rate) == (2, 2, 2 / 5)
    assert (t.time_to_land_p50_s, t.time_to_land_p90_s) == (0.8, 2.0)
