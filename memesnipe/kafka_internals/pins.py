"""The library versions the private uses in this package were verified against, and each use.

On an upgrade, tests/kafka_internals/test_pins.py fails and names every entry of the upgraded
library: re-read each in the new source, fix the module that relies on it, then update
:data:`VERIFIED` (and the pin in pyproject.toml).
"""

from __future__ import annotations

from dataclasses import dataclass

VERIFIED = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0"}
"""Distribution name -> the version every entry of :data:`PRIVATE_USES` was checked against."""


@dataclass(frozen=True)
class PrivateUse:
    dist: str
    """The distribution that owns the name (a key of :data:`VERIFIED`)."""
    name: str
    """Where it lives, as in the library's source."""
    used_by: str
    """Our module that relies on it, and for what."""


PRIVATE_USES = (
    PrivateUse(
        "aiokafka",
        "AIOKafkaConsumer._client.force_metadata_update()",
        "metadata.partitions_for_topic: learn a topic the consumer is not subscribed to",
    ),
    PrivateUse(
        "faust-streaming",
        "faust.streams._current_event (ContextVar of a weakref to the event)",
        "events.as_current_event: a table write goes to its own event's changelog partition",
    ),
    PrivateUse(
        "faust-streaming",
        "faust.transport.consumer.Consumer._committed_offset (TP -> offset, None for 0)",
        "events.committed_offset (reorder window) and recovery.SnapshotConsumer.perform_seek",
    ),
    PrivateUse(
        "faust-streaming",
        "Consumer.ack() records nothing for a Message already .acked",
        "events.leave_uncommitted: a revoked partition's event is never committed by its old owner",
    ),
    PrivateUse(
        "faust-streaming",
        "faust.tables.recovery.Recovery._resume_streams(generation_id), on_recovery_completed,"
        " _set_recovery_ended(), _is_changelog_tp(tp), _wait(coro, timeout)",
        "recovery.OrderedRecovery: seek, clear and resume in one step",
    ),
    PrivateUse(
        "faust-streaming",
        "faust.tables.manager.TableManager._recovery",
        "recovery.OrderedTableManager.recovery",
    ),
    PrivateUse(
        "faust-streaming",
        "faust.App._fetcher.maybe_start()",
        "recovery.OrderedRecovery: restart the fetcher after the streams resume",
    ),
    PrivateUse(
        "faust-streaming",
        "faust.transport.drivers.aiokafka.Consumer._getmany(active_partitions, timeout),"
        " _thread.getmany / seek_to_beginning, _read_offset",
        "recovery.SnapshotConsumer: fetch for a snapshot of the active set; seek uncommitted to start",
    ),
    PrivateUse(
        "faust-streaming",
        "faust.cli.agents.agents._maybe_topic(self, agent)",
        "faust_cli: `faust -A memesnipe.app agents` lists multi-topic agents",
    ),
)
