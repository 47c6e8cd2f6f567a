"""The snapshot hub: one reader for all browsers, pushes only changes, newest state wins."""

from __future__ import annotations

import asyncio

from memesnipe.web import view
from memesnipe.web.hub import SnapshotHub, Subscriber


def snap(trades: int) -> view.Snapshot:
    return view.Snapshot(mode="paper", totals=view.Totals(trades=trades))


async def test_a_slow_subscriber_gets_only_the_newest_snapshot() -> None:
    sub = Subscriber()
    for data in (b"1", b"2", b"3"):
        sub.offer(data)
    assert await sub.next(0.1) == b"3"
    assert await sub.next(0.05) is None


async def test_pushes_only_when_the_figures_change_and_reads_once_for_all_subscribers() -> None:
    state = {"trades": 1, "reads": 0}

    def loader() -> view.Snapshot:
        state["reads"] += 1
        return snap(state["trades"])

    hub = SnapshotHub(loader, poll_s=0.05)
    await hub.start()
    try:
        a, b = hub.subscribe(), hub.subscribe()
        first = await a.next(2)
        assert first is not None and b'"trades":1' in first
        assert await b.next(2) == first
        await asyncio.sleep(0.3)  # several polls, nothing changed
        assert await a.next(0.05) is None
        reads = state["reads"]
        assert 3 <= reads <= 12  # one read per poll, not one per subscriber
        state["trades"] = 2
        changed = await a.next(2)
        assert changed is not None and b'"trades":2' in changed
    finally:
        await hub.stop()


async def test_notify_reads_at_once_instead_of_waiting_for_the_poll() -> None:
    state = {"trades": 1}
    hub = SnapshotHub(lambda: snap(state["trades"]), poll_s=30)
    await hub.start()
    try:
        sub = hub.subscribe()
        assert await sub.next(2) is not None
        state["trades"] = 5
        hub.notify()
        got = await sub.next(2)
        assert got is not None and b'"trades":5' in got
    finally:
        await hub.stop()


async def test_does_not_read_while_nobody_watches() -> None:
    reads: list[int] = []

    def loader() -> view.Snapshot:
        reads.append(1)
        return snap(0)

    hub = SnapshotHub(loader, poll_s=0.02)
    await hub.start()
    await asyncio.sleep(0.2)
    await hub.stop()
    assert reads == []
