"""Event-time windows: eviction by event time, late events, exact totals, Welford vs numpy."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memesnipe.core import windows as w


def test_sum_ring_evicts_buckets_older_than_the_window_by_event_time():
    r = w.sum_ring(3)  # 3 buckets of 10 s
    w.sum_add(r, 10.0, 100.0, 1.0)
    w.sum_add(r, 10.0, 111.0, 2.0)
    w.sum_add(r, 10.0, 125.0, 4.0)
    assert r[1] == 7.0
    w.sum_add(r, 10.0, 131.0, 8.0)  # bucket 13: bucket 10 falls out
    assert r[1] == 14.0
    w.sum_advance(r, 10.0, 1_000.0)  # a long gap clears everything
    assert r[1] == 0.0


def test_sum_ring_puts_a_late_event_in_its_own_bucket_and_drops_one_older_than_the_ring():
    r = w.sum_ring(3)
    w.sum_add(r, 10.0, 125.0, 1.0)
    assert w.sum_add(r, 10.0, 105.0, 5.0)  # bucket 10 is still inside (10, 11, 12)
    assert r[1] == 6.0 and w.sum_head(r) == 1.0
    assert not w.sum_add(r, 10.0, 95.0, 100.0)  # bucket 9 is outside
    assert r[1] == 6.0
    w.sum_add(r, 10.0, 131.0, 0.0)  # head -> 13: bucket 10 (with the late 5.0) evicted
    assert r[1] == 1.0


def test_sum_ring_total_is_order_independent_within_the_window():
    events = [(100.0 + 3.7 * i, float(i % 7)) for i in range(30)]
    a, b = w.sum_ring(40), w.sum_ring(40)
    for t, x in events:
        w.sum_add(a, 5.0, t, x)
    for t, x in reversed(events):
        w.sum_add(b, 5.0, t, x)
    w.sum_advance(b, 5.0, events[-1][0])
    assert a[1] == pytest.approx(b[1]) == sum(x for _, x in events)


def test_sum2_ring_keeps_two_lanes_on_one_clock():
    r = w.sum2_ring(2)
    w.sum2_add(r, 60.0, 0.0, 10.0, 1.0)
    w.sum2_add(r, 60.0, 61.0, 20.0, 1.0)
    w.sum2_add(r, 60.0, 62.0, 30.0, 1.0)
    assert (r[1], r[2]) == (60.0, 3.0)
    assert w.sum2_head(r) == (50.0, 2.0)
    w.sum2_add(r, 60.0, 125.0, 1.0, 1.0)  # bucket 0 evicted
    assert (r[1], r[2]) == (51.0, 3.0)


def test_last_ring_returns_the_price_k_buckets_ago_or_the_nearest_older():
    r = w.last_ring(7)
    for minute, px in [(0, 1.0), (1, 1.1), (3, 1.3), (6, 1.6)]:
        w.last_set(r, 60.0, minute * 60.0 + 5, px)
    assert w.last_ago(r, 5) == 1.1  # minute 1
    assert w.last_ago(r, 4) == 1.1  # minute 2 is empty -> minute 1
    assert w.last_ago(r, 3) == 1.3
    assert w.last_oldest(r) == 1.0
    w.last_set(r, 60.0, 20 * 60.0, 2.0)  # long gap: only the new value is left
    assert w.last_ago(r, 1) == 0.0 and w.last_oldest(r) == 2.0


def _window_samples(samples: list[tuple[float, float]], width: float, n: int) -> list[float]:
    head = max(t for t, _ in samples) // width
    return [x for t, x in samples if t // width > head - n]


def test_welford_ring_matches_numpy_over_the_buckets_in_the_window():
    rng = random.Random(3)
    r = w.welford_ring(12)
    samples = []
    t = 0.0
    for _ in range(3_000):
        t += rng.uniform(0.0, 20.0)
        x = math.log(1e-6) + rng.gauss(0, 0.05)  # memecoin-scale log prices
        samples.append((t, x))
        w.welford_add(r, 300.0, t, x)
    n, mean, var = w.welford_stats(r)
    ref = np.array(_window_samples(samples, 300.0, 12))
    assert n == len(ref)
    assert mean == pytest.approx(ref.mean(), rel=1e-12)
    assert var == pytest.approx(ref.var(), rel=1e-9)


def test_welford_ring_accepts_late_samples_into_closed_buckets():
    r = w.welford_ring(4)
    for t, x in [(0.0, 1.0), (10.0, 2.0), (20.0, 3.0)]:
        w.welford_add(r, 10.0, t, x)
    w.welford_add(r, 10.0, 5.0, 10.0)  # late, into bucket 0
    n, mean, var = w.welford_stats(r)
    ref = np.array([1.0, 10.0, 2.0, 3.0])
    assert n == 4 and mean == pytest.approx(ref.mean()) and var == pytest.approx(ref.var())


def test_ewma_weights_by_elapsed_event_time_not_by_sample_count():
    a, b = w.ewma(), w.ewma()
    w.ewma_add(a, 60.0, 0.0, 0.0)
    w.ewma_add(a, 60.0, 60.0, 1.0)  # one step of 60 s
    w.ewma_add(b, 60.0, 0.0, 0.0)
    for i in range(1, 61):  # sixty steps of 1 s at the same value
        w.ewma_add(b, 60.0, float(i), 1.0)
    assert a[0] == pytest.approx(1 - math.exp(-1)) == pytest.approx(b[0])
    assert w.ewma_add(a, 60.0, 30.0, 100.0) == a[0]  # a late sample carries no weight


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1e6, allow_nan=False), st.floats(-1e6, 1e6, allow_nan=False)),
        max_size=200,
    ),
    st.integers(1, 50),
)
def test_rings_never_grow_and_totals_equal_the_sum_of_their_buckets(events, n):
    r, r2, wr, lr = w.sum_ring(n), w.sum2_ring(n), w.welford_ring(n), w.last_ring(n)
    for t, x in events:
        w.sum_add(r, 60.0, t, x)
        w.sum2_add(r2, 60.0, t, x, 1.0)
        w.welford_add(wr, 60.0, t, x)
        w.last_set(lr, 60.0, t, x)
    assert len(r) == n + 2 and len(r2) == 2 * n + 3 and len(wr) == 3 * n + 4 and len(lr) == n + 1
    assert r[1] == pytest.approx(math.fsum(r[2:]), abs=1e-6 * (1 + sum(abs(v) for v in r[2:])))
    assert r2[2] == pytest.approx(sum(r2[4::2]))
    cnt, _, var = w.welford_stats(wr)
    assert cnt == pytest.approx(r2[2]) and var >= -1e-9


def test_ring_slots_give_the_index_of_the_head_bucket_as_the_ring_functions_compute_it():
    r = w.sum2_ring(7)
    for t in (0.0, 65.0, 7 * 60.0 + 1.0, 1_775_433_601.5):
        w.sum2_add(r, 60.0, t, 2.0, 1.0)
        i = w.ring_slots(7, 3, 2)[r[0] % 7.0]
        assert (r[i], r[i + 1]) == w.sum2_head(r)
    assert w.ring_slots(3, 4, 3) == {0.0: 4, 1.0: 7, 2.0: 10}


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-1e9, 4e9, allow_nan=False),
    st.sampled_from([5.0, 30.0, 60.0, 300.0, 3600.0]),
    st.integers(-2, 2),
)
def test_head_bucket_bounds_test_equals_floor_division_for_integral_widths(t, width, shift):
    # the strategies' hot paths test ``lo <= t < lo + width`` (lo = head * width) for t // width == head
    h = t // width + shift
    lo = h * width
    assert (lo <= t < lo + width) == (t // width == h)


def test_last_set_moving_to_the_next_bucket_clears_only_that_bucket():
    r = w.last_ring(3)
    for t, x in ((0.0, 1.0), (60.0, 2.0), (120.0, 3.0), (180.0, 4.0), (190.0, 5.0), (240.0, 6.0)):
        w.last_set(r, 60.0, t, x)
    assert r == [4.0, 5.0, 6.0, 3.0]
    assert w.last_ago(r, 1) == 5.0 and w.last_oldest(r) == 3.0
