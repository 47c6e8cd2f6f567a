"""A bounded event-time reorder window for inputs read from several co-partitioned topics.

Kafka orders a partition, not a set of topics: a consumer can read one market topic ahead of
another, so without help a batch boundary decides whether an event of topic A is applied before
a slightly earlier event of topic B. :class:`ReorderBuffer` holds decoded inputs per *partition
number* (partition ``p`` of all the topics together: they are co-partitioned by mint, so mints of
different partition numbers never interact) and releases them in event-time order once the input
has moved ``window_s`` of event time past them.

Watermark rule (bounded out-of-orderness): for partition number ``p``,
``watermark(p) = max event time seen on any topic's partition p - window_s``; an input is
released when its time is ``<= watermark(p)``. Why not the minimum over the topics' max-seen
times: a topic that is quiet on a partition (funding updates hourly, bridges rarely) would then
hold every other topic back until a wall-clock timeout, so the output would depend on timing.
With the max rule, a quiet topic holds nothing, the watermark is a function of the inputs only,
and the contract is simple: **an input that reaches the buffer before its partition number has
seen an event time >= its own + window_s is applied in exact event-time order** (the order
``order_batch`` gives the whole input, i.e. the in-process backtester's order). An input later
than that is applied at once, after inputs it should precede, and counted in ``late``.

Backlogs: a consumer catching up on a backlog (a recording published before the runner starts)
reads a sparse topic to its end in one fetch, far ahead in event time of a dense one; no window
covers that. So the caller may also say which topic-partitions are *lagging* (known to have
input not received yet: the consumer is behind their end); a lagging topic-partition holds its
partition number's release strictly below the latest event time it delivered. Each topic being
in event-time order, nothing it has still to deliver can be earlier, so a backlog is released in
exact event-time order whatever the window; a caught-up (or quiet) topic holds nothing.

Per topic-partition, offset order is never broken (the engine's per-topic offset guard would skip
an earlier offset applied after a later one): an input is held as long as an earlier input of its
own topic-partition is held, i.e. it is released at ``max(its time, the time of the held input
before it)``. When a topic-partition's timestamps are non-decreasing (the normal case) this
changes nothing.

Memory: at most ``max_items`` inputs are held; beyond that the oldest (by that release time) are
released early, counted in ``forced``. Nothing is held forever: :meth:`flush_idle` releases the
inputs of a partition number that has received no input for a while (the caller's wall clock;
the one non-deterministic edge, for the end of a finite replay or a quiet partition).

Offsets and crash safety: :class:`AckGate` tells the caller which inputs may be acknowledged (their
offsets committed): per topic-partition, only the prefix of inputs, in offset order, that are
all done (applied, dead-lettered). A held input therefore keeps its offset and every later one of
its topic-partition uncommitted, so a crash re-reads it. Both classes handle a consumer that
rewinds (a seek to the committed offset after a rebalance re-delivers held inputs): an input at
or below an offset already seen for its topic-partition drops what was held from that offset on.

Pure: no Faust, no Kafka. ``ref`` (the item's last field) is opaque, e.g. the Faust event.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from memesnipe.core.strategies.engine import Item, order_batch
from memesnipe.core.strategies.engine import _order_key as order_key

TP = tuple[str, int]
"""(topic, partition)."""


class ReorderBuffer:
    """Holds inputs until the event-time watermark of their partition number passes them."""

    def __init__(self, window_s: float, max_items: int = 100_000, topics: Iterable[str] = ()) -> None:
        if not window_s >= 0.0:
            raise ValueError("window_s must be >= 0")
        if max_items < 1:
            raise ValueError("max_items must be >= 1")
        self.window_s = float(window_s)
        self.max_items = max_items
        # per partition number: heap of entries [release time, seq, item, alive]
        self._heaps: dict[int, list[list[Any]]] = {}
        # per topic-partition: its held entries in offset order (arrival order)
        self._held: dict[TP, deque[list[Any]]] = {}
        self._last_off: dict[TP, int] = {}
        self._max_seen: dict[int, float] = {}
        self._tp_max: dict[TP, float] = {}
        self.topics = tuple(topics)
        self._released_key: dict[int, tuple[float, int]] = {}
        self._last_input: dict[int, float] = {}
        self._seq = 0
        self._n = 0
        self.late = 0
        """Inputs applied after an input of their partition number that has a later event time."""
        self.forced = 0
        """Inputs released before their watermark because the buffer was full."""
        self.rewound = 0
        """Held inputs dropped because their topic-partition was re-delivered from an earlier offset."""

    def __len__(self) -> int:
        return self._n

    def watermark(self, partition: int) -> float | None:
        """The event time up to which partition number ``partition`` is released (None: no input yet)."""
        m = self._max_seen.get(partition)
        return None if m is None else m - self.window_s

    def add(self, item: Item, now: float = 0.0) -> None:
        """Hold one input (call :meth:`release` after a batch of adds). ``now``: the caller's
        clock, used only by :meth:`flush_idle`."""
        t, topic, part, off = item[0], item[1], item[2], item[3]
        tp = (topic, part)
        held = self._held.get(tp)
        if held is None:
            held = self._held[tp] = deque()
        last = self._last_off.get(tp)
        if last is not None and off <= last:
            self._drop_from(held, off)
        self._last_off[tp] = off
        rel = t if not held or held[-1][0] <= t else held[-1][0]
        entry = [rel, self._seq, item, True]
        self._seq += 1
        held.append(entry)
        heap = self._heaps.get(part)
        if heap is None:
            heap = self._heaps[part] = []
        heapq.heappush(heap, entry)
        self._n += 1
        m = self._max_seen.get(part)
        if m is None or t > m:
            self._max_seen[part] = t
        m = self._tp_max.get(tp)
        if m is None or t > m:
            self._tp_max[tp] = t
        self._last_input[part] = now

    def release(self, lagging: Callable[[TP], bool] | None = None) -> list[Item]:
        """The inputs the watermarks have passed (plus the oldest beyond ``max_items``), in
        ``order_batch`` order.

        ``lagging(tp)``: whether a topic-partition is known to have input not received yet (the
        consumer is behind its end). Such a topic-partition also holds its partition number's
        release strictly below the latest time it delivered, so a backlog read faster on one
        topic than another (a recording published before the runner starts) is still released
        in event-time order, whatever the window.
        """
        out: list[Item] = []
        for part, heap in self._heaps.items():
            if heap:
                strict = float("inf")
                if lagging is not None:
                    for topic in self._topics_of(part):
                        tp = (topic, part)
                        if lagging(tp):
                            strict = min(strict, self._tp_max.get(tp, float("-inf")))
                self._pop_until(part, heap, self._max_seen[part] - self.window_s, out, strict)
        excess = self._n - self.max_items
        if sum(len(h) for h in self._heaps.values()) > 2 * self._n + 1024:
            self._compact()
        while excess > 0:
            part = min((p for p, h in self._heaps.items() if h), key=lambda p: self._heaps[p][0][:2])
            before = len(out)
            self._pop_one(part, self._heaps[part], out)
            if len(out) > before:
                excess -= 1
                self.forced += 1
        return self._finish(out)

    def flush(self, partition: int | None = None) -> list[Item]:
        """Release everything held (of one partition number, or all), in ``order_batch`` order."""
        out: list[Item] = []
        for part, heap in self._heaps.items():
            if partition is None or part == partition:
                self._pop_until(part, heap, float("inf"), out)
        return self._finish(out)

    def flush_idle(self, now: float, idle_s: float) -> list[Item]:
        """Release everything held by partition numbers that received no input since ``now - idle_s``."""
        out: list[Item] = []
        for part, heap in self._heaps.items():
            if heap and now - self._last_input.get(part, now) >= idle_s:
                self._pop_until(part, heap, float("inf"), out)
        return self._finish(out)

    def retain(self, keep: Callable[[TP], bool]) -> int:
        """Drop the held inputs (and the watermark) of topic-partitions ``keep`` refuses, e.g.
        partitions revoked by a rebalance; returns how many inputs were dropped."""
        dropped = 0
        for tp in [tp for tp in self._held if not keep(tp)]:
            held = self._held.pop(tp)
            self._last_off.pop(tp, None)
            self._tp_max.pop(tp, None)
            for e in held:
                e[3] = False
            dropped += len(held)
        self._n -= dropped
        alive_parts = {tp[1] for tp in self._held}
        for part in [p for p in self._max_seen if p not in alive_parts]:
            self._max_seen.pop(part, None)
            self._released_key.pop(part, None)
            self._last_input.pop(part, None)
            self._heaps.pop(part, None)
        return dropped

    # --- internals ---------------------------------------------------------------------------

    def _compact(self) -> None:
        for part, heap in self._heaps.items():
            alive = [e for e in heap if e[3]]
            heapq.heapify(alive)
            self._heaps[part] = alive

    def _drop_from(self, held: deque[list[Any]], off: int) -> None:
        while held and held[-1][2][3] >= off:
            held.pop()[3] = False
            self._n -= 1
            self.rewound += 1

    def _pop_until(
        self, part: int, heap: list[list[Any]], wm: float, out: list[Item], strict: float = float("inf")
    ) -> None:
        while heap and heap[0][0] <= wm and heap[0][0] < strict:
            self._pop_one(part, heap, out)

    def _topics_of(self, part: int) -> set[str]:
        return set(self.topics) | {tp[0] for tp in self._held if tp[1] == part}

    def _pop_one(self, part: int, heap: list[list[Any]], out: list[Item]) -> None:
        e = heapq.heappop(heap)
        if not e[3]:
            return
        e[3] = False
        item = e[2]
        held = self._held[(item[1], item[2])]
        first = held.popleft()
        assert first is e, "a topic-partition's inputs are released in offset order"
        self._n -= 1
        out.append(item)

    def _finish(self, out: list[Item]) -> list[Item]:
        if not out:
            return out
        ordered = order_batch(out)
        top: dict[int, tuple[float, int]] = {}
        for it in ordered:
            part = it[2]
            k = order_key(it)
            prev = self._released_key.get(part)
            if prev is not None and k < prev:
                self.late += 1
            if part not in top or k > top[part]:
                top[part] = k
        for part, k in top.items():
            prev = self._released_key.get(part)
            if prev is None or k > prev:
                self._released_key[part] = k
        return ordered


class AckGate:
    """Which consumed inputs may be acknowledged: per topic-partition, the longest prefix (in
    offset order) of inputs that are all done. Acknowledging only that prefix keeps the committed
    offset at or below the first input still held, whatever the consumer's commit logic does with
    gaps."""

    def __init__(self) -> None:
        self._q: dict[TP, deque[list[Any]]] = {}
        self._by_off: dict[TP, dict[int, list[Any]]] = {}

    def __len__(self) -> int:
        return sum(len(q) for q in self._q.values())

    def track(self, tp: TP, offset: int, ref: Hashable | Any) -> None:
        """Register a consumed input (in consumption order). An offset at or below one already
        tracked means the consumer rewound: the entries from that offset on are forgotten (they
        are being re-delivered)."""
        q = self._q.get(tp)
        if q is None:
            q = self._q[tp] = deque()
            self._by_off[tp] = {}
        idx = self._by_off[tp]
        while q and q[-1][0] >= offset:
            idx.pop(q.pop()[0], None)
        e = [offset, ref, False]
        q.append(e)
        idx[offset] = e

    def done(self, tp: TP, offset: int) -> None:
        """Mark an input applied (or otherwise finished, e.g. dead-lettered)."""
        e = self._by_off.get(tp, {}).get(offset)
        if e is not None:
            e[2] = True

    def ackable(self) -> list[Any]:
        """Pop and return the refs that may be acknowledged now, per topic-partition in offset order."""
        out: list[Any] = []
        for tp, q in self._q.items():
            idx = self._by_off[tp]
            while q and q[0][2]:
                e = q.popleft()
                idx.pop(e[0], None)
                out.append(e[1])
        return out

    def retain(self, keep: Callable[[TP], bool]) -> int:
        """Forget (without acknowledging) the inputs of topic-partitions ``keep`` refuses."""
        n = 0
        for tp in [tp for tp in self._q if not keep(tp)]:
            n += len(self._q.pop(tp))
            self._by_off.pop(tp, None)
        return n

    def tps(self) -> Iterable[TP]:
        return list(self._q)
