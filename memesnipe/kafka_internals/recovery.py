"""Faust's table recovery, fixed so that no fetched record is lost when the streams resume.

Two Faust defects made a restarted worker miss inputs for good (found with
tests/agents/test_strategy_runner_integration.py; both need a partition the group never committed,
e.g. after a crash before the first commit, or the first start with table state present):

1. Faust's fetcher drops records of partitions it counts as paused, after aiokafka has already
   moved its fetch position past them; and a fetch that was waiting in the consumer thread while
   recovery paused the changelogs (Faust passes its *live* active set, which then became empty,
   and aiokafka reads an empty set as "all partitions") drains every partition. Faust relies on
   the seek to the committed offsets that follows, but aiokafka's ``seek_to_committed`` skips a
   partition whose committed offset is missing or 0: its position stayed past the dropped records.
   :meth:`SnapshotConsumer.perform_seek` also moves such partitions back to their start.
2. Faust resumed the stream partitions, awaited the seek, and only then called
   ``app.flow_control.resume()``, which CLEARS every stream's queue
   (``FlowControlQueue(clear_on_resume=True)``): records fetched meanwhile were delivered and then
   thrown away. ``OrderedRecovery`` seeks while the partitions are still paused, clears the queues
   (only records of the previous assignment are in them), and resumes the partitions last.

3. The fetch path behind 1.: ``SnapshotConsumer`` hands the consumer thread a copy of the active
   set, so a fetch that waits while the set empties still drains only what was active when it
   started (Faust's "pause" is its own bookkeeping: aiokafka keeps fetching paused partitions
   into its buffer, and an empty set means "all" to ``fetched_records``).

Either way the symptom was a stream that never received the head (or all) of a partition's
backlog, and, as Faust does not commit past a gap at the head of what was acknowledged, a
committed offset that stopped moving.

Private Faust names overridden or used here (re-check on an upgrade: ``pins.PRIVATE_USES``):
``Recovery._resume_streams``, ``_set_recovery_ended``, ``_is_changelog_tp``, ``_wait``,
``TableManager._recovery``, ``App._fetcher``, the aiokafka driver's ``Consumer._getmany``,
``_thread``, ``_committed_offset`` and ``_read_offset``.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiokafka.structs import TopicPartition
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP


class OrderedRecovery(Recovery):  # type: ignore[misc]
    """``Recovery`` whose stream partitions are resumed after the seek and the queue clear."""

    async def _resume_streams(self, generation_id: int = 0) -> None:
        """Without tables: seek, clear, resume (Faust: resume, seek, clear)."""
        await self.app.on_rebalance_complete.send()
        if self.app.consumer_generation_id != generation_id:
            self.log.warning("Recovery rebalancing again")
            return
        await self._seek_clear_resume()
        self.tables.on_actives_ready()
        self.tables.on_standbys_ready()
        self.app.on_rebalance_end()
        self.log.info("Worker ready")

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        """Tables restored: seek, clear, resume (Faust: resume, seek, clear)."""
        self.log.info("Restore complete!")
        await self.app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(
                table.on_recovery_completed(self.actives_for_table[table], self.standbys_for_table[table])
            )
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        if self.app.consumer_generation_id != generation_id:
            self.log.warning(
                "Recovery rebalancing again app id %s param %s",
                self.app.consumer_generation_id,
                generation_id,
            )
            return
        await self._seek_clear_resume()
        self.tables.on_actives_ready()
        if not self.app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        self.app.on_rebalance_end()
        self.log.info("Worker ready")

    async def _seek_clear_resume(self) -> None:
        consumer = self.app.consumer
        assignment = consumer.assignment()
        streams = {tp for tp in assignment if not self._is_changelog_tp(tp)}
        if assignment:
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        self.completed.set()
        # No await from here on: the queues are cleared of the previous assignment's records and
        # the partitions resumed in one step, so nothing fetched from the new positions is dropped.
        self.app.flow_control.resume()
        consumer.resume_partitions(streams)
        consumer.resume_flow()
        await cast(Any, self.app)._fetcher.maybe_start()


class OrderedTableManager(TableManager):  # type: ignore[misc]
    """``TableManager`` using :class:`OrderedRecovery` (``faust.App(TableManager=...)``)."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = OrderedRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


class SnapshotConsumer(faust_aiokafka.Consumer):  # type: ignore[misc]
    """Faust's aiokafka consumer, fetching for a snapshot of the active partitions, whose seek to
    the committed offsets also covers partitions never committed."""

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:
        snapshot = None if active_partitions is None else set(active_partitions)
        return await self._thread.getmany(snapshot, timeout)

    async def perform_seek(self) -> None:
        """Seek to the committed offsets, and move stream partitions without one to their start.

        aiokafka's ``seek_to_committed`` leaves a partition whose committed offset is missing or 0
        where its fetch position is. Records Faust fetched and dropped meanwhile (its fetcher drops
        records of partitions it counts as paused) would then never come back."""
        await super().perform_seek()
        if str(self.app.conf.consumer_auto_offset_reset) != "earliest":
            return  # "latest": a partition never committed starts at its end anyway
        committed = self._committed_offset  # perform_seek stored None for a committed 0
        unsought = sorted(
            tp for tp in self.assignment() if not self._is_changelog_tp(tp) and not committed.get(tp)
        )
        if not unsought:
            return
        await self._thread.seek_to_beginning(*(TopicPartition(t.topic, t.partition) for t in unsought))
        for tp in unsought:
            self._read_offset[tp] = None
        self.log.info("Reset %d stream partitions without a committed offset to their start", len(unsought))


def install(app: Any) -> None:
    """Use :class:`SnapshotConsumer` (the app's conf already names :class:`OrderedTableManager`)."""
    if isinstance(app.transport, faust_aiokafka.Transport):
        app.transport.Consumer = SnapshotConsumer  # type: ignore[misc]
