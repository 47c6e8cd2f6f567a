"""DurableTable: a changelog write can be awaited, so inputs are acknowledged only after the state
they produced is on the broker (Faust's own pre-commit flush gives up after 0.1 s)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest

from memesnipe.tables.durable import DurableTable
from memesnipe.tables.partitioned import write_keys


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> tuple[DurableTable, list[asyncio.Future[Any]]]:
    app = faust.App("durable-test", broker="memory://", store="memory://", Table=DurableTable)
    t = app.Table("t", default=None, key_type=bytes, value_type=bytes, partitions=1)
    sent: list[asyncio.Future[Any]] = []

    def fake_send(self: Any, partition: Any, key: Any, value: Any, *a: Any, **kw: Any) -> asyncio.Future[Any]:
        fut: Any = asyncio.get_running_loop().create_future()
        fut.message = type("M", (), {"partition": 0})()  # what Table.on_key_set reads back
        sent.append(fut)
        return fut

    monkeypatch.setattr(faust.Table, "send_changelog", fake_send)
    monkeypatch.setattr(faust.Table, "partition_for_key", lambda self, key: 0)
    assert isinstance(t, DurableTable)
    return t, sent


async def test_flush_waits_for_every_changelog_record_sent(table) -> None:
    t, sent = table
    t.send_changelog(0, b"a", b"1")
    t.send_changelog(0, b"b", b"2")
    flush = asyncio.ensure_future(t.flush_changelog())
    await asyncio.sleep(0.01)
    assert not flush.done()
    sent[0].set_result(None)
    await asyncio.sleep(0.01)
    assert not flush.done(), "one record is still in flight"
    sent[1].set_result(None)
    await asyncio.wait_for(flush, 1.0)
    await asyncio.wait_for(t.flush_changelog(), 1.0)  # nothing pending: returns at once


async def test_a_failed_changelog_write_surfaces_instead_of_acknowledging(table) -> None:
    t, sent = table
    t.send_changelog(0, b"a", b"1")
    sent[0].set_exception(RuntimeError("broker refused"))
    with pytest.raises(RuntimeError, match="broker refused"):
        await t.flush_changelog()


async def test_write_keys_returns_only_when_the_changelog_is_durable(table, monkeypatch) -> None:
    t, sent = table
    import memesnipe.tables.partitioned as part

    class Ev:  # as_current_event only needs something weak-referenceable
        pass

    monkeypatch.setattr(part, "as_current_event", lambda ev: __import__("contextlib").nullcontext())
    done = asyncio.ensure_future(write_keys(t, {b"k1": (Ev(), b"v1"), b"k2": (Ev(), b"v2")}))
    await asyncio.sleep(0.01)
    assert len(sent) == 2 and not done.done()
    assert t.data[b"k1"] == b"v1" and t.data[b"k2"] == b"v2"  # visible to this worker at once
    for f in sent:
        f.set_result(None)
    await asyncio.wait_for(done, 1.0)


async def test_cancelling_the_waiter_leaves_the_records_to_be_delivered(table) -> None:
    """Worker shutdown cancels the agent mid-flush: the changelog records' own futures must stay
    pending (Faust completes them on delivery; a cancelled one makes its callback fail)."""
    t, sent = table
    t.send_changelog(0, b"a", b"1")
    flush = asyncio.ensure_future(t.flush_changelog())
    await asyncio.sleep(0.01)
    flush.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flush
    assert not sent[0].cancelled() and not sent[0].done()
    sent[0].set_result(None)  # what the producer's delivery callback does: no InvalidStateError
