"""Event-time window primitives that live inside table state as plain lists of floats.

Faust's windowed tables expire on wall-clock time, which breaks replays and backtests, so
strategies keep their windows here instead: fixed-size rings of buckets indexed by
``floor(event_ts / width)``. Each structure is a flat ``list[float]`` (JSON-serializable,
bounded in size by its bucket count) and the functions mutate it in place, because copying
state per event would cost more than the signal maths.

Eviction is explicit: a bucket is cleared when event time moves past it. Late events (older
than the newest bucket but still inside the ring) are added to their own bucket, so sums do not
depend on the arrival order of events from different topics; events older than the ring are
dropped (the functions return ``False``).

Layouts (``n`` buckets):

- sum ring ``[head, total, b_0 .. b_{n-1}]``; ``total`` is the sum of all n buckets and is
  recomputed exactly on every bucket roll-over, so float drift never accumulates.
- sum2 ring ``[head, total_a, total_b, a_0, b_0, .., a_{n-1}, b_{n-1}]``: two lanes (e.g. a sum
  and a count) sharing one clock.
- last-value ring ``[head, v_0 .. v_{n-1}]``: the last value seen in each bucket, 0.0 = none.
- Welford ring ``[head, cn, cmean, cm2, (n, mean, m2) * n]``: per-bucket Welford triples and
  their Chan merge over the closed (non-head) buckets, kept up to date on roll-over; the stats
  of the whole window merge that with the head bucket in O(1).
- EWMA ``[value, last_t, seen]``: time-decayed mean with time constant ``tau`` seconds.
"""

from __future__ import annotations

import math

EMPTY = -1.0
"""Head value of a ring that has seen no event."""


def ring_slots(n: int, first: int, lanes: int = 1) -> dict[float, int]:
    """Index of bucket ``k``'s first lane by ``k = head % n`` as a float (what a hot path has at
    hand): ``first + lanes * k``. A dict lookup is cheaper than ``first + lanes * int(...)``."""
    return {float(k): first + lanes * k for k in range(n)}


# --- sum rings --------------------------------------------------------------------------------


def sum_ring(n: int) -> list[float]:
    """A ring of ``n`` bucket sums."""
    if n < 1:
        raise ValueError("a ring needs at least one bucket")
    return [EMPTY, 0.0] + [0.0] * n


def _roll(r: list[float], b: float, n: int, first: int, lanes: int) -> None:
    """Move the head to bucket ``b`` (> head), clearing the buckets that fall out."""
    h = r[0]
    end = first + n * lanes
    if h == EMPTY or b - h >= n:
        r[first:end] = [0.0] * (n * lanes)
    elif lanes == 1:
        k = h + 1.0
        while k <= b:
            r[first + int(k % n)] = 0.0
            k += 1.0
    else:
        k = h + 1.0
        while k <= b:
            base = first + int(k % n) * lanes
            for j in range(base, base + lanes):
                r[j] = 0.0
            k += 1.0
    r[0] = b
    if lanes == 1:
        r[1] = math.fsum(r[first:end])
    else:
        for j in range(lanes):
            r[1 + j] = math.fsum(r[first + j : end : lanes])


def sum_add(r: list[float], width: float, t: float, x: float) -> bool:
    """Add ``x`` at event time ``t``; False when ``t`` is older than the ring covers."""
    b = t // width
    h = r[0]
    n = len(r) - 2
    if b != h:
        if b > h:
            _roll(r, b, n, 2, 1)
        elif b <= h - n:
            return False
    r[2 + int(b % n)] += x
    r[1] += x
    return True


def sum_advance(r: list[float], width: float, t: float) -> None:
    """Evict buckets that event time ``t`` has moved past (call before reading a total)."""
    b = t // width
    if b > r[0]:
        _roll(r, b, len(r) - 2, 2, 1)


def sum_head(r: list[float]) -> float:
    """The value of the newest bucket."""
    n = len(r) - 2
    return r[2 + int(r[0] % n)] if r[0] != EMPTY else 0.0


def sum2_ring(n: int) -> list[float]:
    """A ring of ``n`` buckets with two lanes (e.g. a sum and a count)."""
    if n < 1:
        raise ValueError("a ring needs at least one bucket")
    return [EMPTY, 0.0, 0.0] + [0.0] * (2 * n)


def sum2_add(r: list[float], width: float, t: float, a: float, c: float) -> bool:
    """Add ``a`` to lane 0 and ``c`` to lane 1 at event time ``t``."""
    b = t // width
    h = r[0]
    n = (len(r) - 3) >> 1
    if b != h:
        if b > h:
            _roll(r, b, n, 3, 2)
        elif b <= h - n:
            return False
    i = 3 + 2 * int(b % n)
    r[i] += a
    r[i + 1] += c
    r[1] += a
    r[2] += c
    return True


def sum2_advance(r: list[float], width: float, t: float) -> None:
    b = t // width
    if b > r[0]:
        _roll(r, b, (len(r) - 3) >> 1, 3, 2)


def sum2_head(r: list[float]) -> tuple[float, float]:
    """Both lanes of the newest bucket."""
    if r[0] == EMPTY:
        return 0.0, 0.0
    i = 3 + 2 * int(r[0] % ((len(r) - 3) >> 1))
    return r[i], r[i + 1]


# --- last-value ring --------------------------------------------------------------------------


def last_ring(n: int) -> list[float]:
    """A ring holding the last (non-zero) value seen in each of ``n`` buckets."""
    if n < 1:
        raise ValueError("a ring needs at least one bucket")
    return [EMPTY] + [0.0] * n


def last_set(r: list[float], width: float, t: float, x: float) -> bool:
    """Record ``x`` as the latest value of its bucket (a late event only fills an empty bucket)."""
    b = t // width
    h = r[0]
    n = len(r) - 1
    if b != h:
        if b > h:
            if b == h + 1.0 and h != EMPTY:  # the next bucket (the usual move): only its slot clears
                r[0] = b
                r[1 + int(b % n)] = x
                return True
            if h == EMPTY or b - h >= n:
                r[1:] = [0.0] * n
            else:
                k = h + 1.0
                while k <= b:
                    r[1 + int(k % n)] = 0.0
                    k += 1.0
            r[0] = b
        elif b <= h - n:
            return False
        else:
            i = 1 + int(b % n)
            if r[i] == 0.0:
                r[i] = x
            return True
    r[1 + int(b % n)] = x
    return True


def last_ago(r: list[float], k: int) -> float:
    """The value ``k`` buckets before the head, or the nearest older one; 0.0 when none.

    Call after :func:`last_set` at the current time so the head is current.
    """
    h = r[0]
    if h == EMPTY:
        return 0.0
    n = len(r) - 1
    j = k
    while j < n:
        v = r[1 + int((h - j) % n)]
        if v != 0.0:
            return v
        j += 1
    return 0.0


def last_oldest(r: list[float]) -> float:
    """The oldest value still in the ring; 0.0 when none."""
    h = r[0]
    if h == EMPTY:
        return 0.0
    n = len(r) - 1
    for j in range(n - 1, -1, -1):
        v = r[1 + int((h - j) % n)]
        if v != 0.0:
            return v
    return 0.0


# --- Welford ring -----------------------------------------------------------------------------


def welford_ring(n: int) -> list[float]:
    """Rolling mean/variance over ``n`` buckets (per-bucket Welford, merged on roll-over)."""
    if n < 1:
        raise ValueError("a ring needs at least one bucket")
    return [EMPTY, 0.0, 0.0, 0.0] + [0.0] * (3 * n)


def _welford_roll(r: list[float], b: float, n: int) -> None:
    h = r[0]
    if h == EMPTY or b - h >= n:
        for i in range(4, 4 + 3 * n):
            r[i] = 0.0
    else:
        k = h + 1.0
        while k <= b:
            i = 4 + 3 * int(k % n)
            r[i] = r[i + 1] = r[i + 2] = 0.0
            k += 1.0
    r[0] = b
    # Chan et al. merge of every closed bucket (all but the new head).
    head = int(b % n)
    cn = cm = cm2 = 0.0
    for s in range(n):
        if s == head:
            continue
        i = 4 + 3 * s
        bn = r[i]
        if bn == 0.0:
            continue
        tot = cn + bn
        d = r[i + 1] - cm
        cm += d * bn / tot
        cm2 += r[i + 2] + d * d * cn * bn / tot
        cn = tot
    r[1], r[2], r[3] = cn, cm, cm2


def welford_add(r: list[float], width: float, t: float, x: float) -> bool:
    """Add sample ``x`` at event time ``t``."""
    b = t // width
    h = r[0]
    n = (len(r) - 4) // 3
    if b != h:
        if b > h:
            _welford_roll(r, b, n)
        elif b <= h - n:
            return False
        else:  # late sample into a closed bucket: update it and the closed merge
            i = 4 + 3 * int(b % n)
            bn = r[i] + 1.0
            d = x - r[i + 1]
            r[i] = bn
            r[i + 1] += d / bn
            r[i + 2] += d * (x - r[i + 1])
            cn = r[1] + 1.0
            d = x - r[2]
            r[1] = cn
            r[2] += d / cn
            r[3] += d * (x - r[2])
            return True
    i = 4 + 3 * int(b % n)
    bn = r[i] + 1.0
    d = x - r[i + 1]
    r[i] = bn
    r[i + 1] += d / bn
    r[i + 2] += d * (x - r[i + 1])
    return True


def welford_advance(r: list[float], width: float, t: float) -> None:
    b = t // width
    if b > r[0]:
        _welford_roll(r, b, (len(r) - 4) // 3)


def welford_stats(r: list[float]) -> tuple[float, float, float]:
    """(count, mean, population variance) over the whole window, head bucket included."""
    cn = r[1]
    if r[0] == EMPTY:
        return 0.0, 0.0, 0.0
    i = 4 + 3 * int(r[0] % ((len(r) - 4) // 3))
    bn = r[i]
    if bn == 0.0:
        return cn, r[2], (r[3] / cn if cn > 0.0 else 0.0)
    if cn == 0.0:
        return bn, r[i + 1], r[i + 2] / bn
    tot = cn + bn
    d = r[i + 1] - r[2]
    mean = r[2] + d * bn / tot
    m2 = r[3] + r[i + 2] + d * d * cn * bn / tot
    return tot, mean, m2 / tot


# --- EWMA -------------------------------------------------------------------------------------


def ewma() -> list[float]:
    return [0.0, 0.0, 0.0]


def ewma_add(e: list[float], tau: float, t: float, x: float) -> float:
    """Fold ``x`` observed at ``t`` into an event-time EWMA; returns the new value.

    Weight ``1 - exp(-dt/tau)`` makes the result independent of the sampling rate; a sample not
    newer than the last one carries no weight (late events cannot rewind the clock).
    """
    if e[2] == 0.0:
        e[0], e[1], e[2] = x, t, 1.0
        return x
    dt = t - e[1]
    if dt <= 0.0:
        return e[0]
    a = 1.0 - math.exp(-dt / tau)
    e[0] += a * (x - e[0])
    e[1] = t
    return e[0]
