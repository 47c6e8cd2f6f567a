"""The private Faust and aiokafka names we rely on are still there, with the meaning we rely on.

On an upgrade this fails first, naming each private use to re-check (``kafka_internals.pins``);
each test below exercises one use on the installed library, so a renamed or reshaped internal
fails here rather than as lost records in a worker.
"""

from __future__ import annotations

import inspect
import re
import tomllib
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaConsumer
from faust.streams import current_event
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from packaging.requirements import Requirement

from memesnipe.kafka_internals import events, recovery
from memesnipe.kafka_internals.metadata import partitions_for_topic
from memesnipe.kafka_internals.pins import PRIVATE_USES, VERIFIED

REPO = Path(__file__).resolve().parents[2]


def _recheck(dist: str) -> str:
    uses = "\n".join(f"  - {u.name}  <- {u.used_by}" for u in PRIVATE_USES if u.dist == dist)
    return f"re-check these private uses (memesnipe/kafka_internals/), then update pins.VERIFIED:\n{uses}"


@pytest.mark.parametrize("dist", sorted(VERIFIED))
def test_installed_version_is_the_one_the_private_uses_were_verified_against(dist: str) -> None:
    installed = version(dist)
    assert installed == VERIFIED[dist], (
        f"{dist} {installed} is installed, verified {VERIFIED[dist]}: " + _recheck(dist)
    )


@pytest.mark.parametrize("dist", sorted(VERIFIED))
def test_pyproject_allows_the_verified_version(dist: str) -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    (req,) = [Requirement(d) for d in deps if Requirement(d).name == dist]
    assert req.specifier.contains(VERIFIED[dist]), f"pyproject.toml asks for {req}: " + _recheck(dist)


def test_every_private_use_names_a_verified_library() -> None:
    assert {u.dist for u in PRIVATE_USES} <= set(VERIFIED)


async def test_a_topic_created_after_the_consumer_started_is_found_by_a_metadata_refresh(
    kafka_bootstrap: str,
) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    name = f"memesnipe-test-pins-{uuid.uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=None)
    assert callable(consumer._client.force_metadata_update), _recheck("aiokafka")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await consumer.start()
    await admin.start()
    try:
        assert await partitions_for_topic(consumer, name, timeout_s=0) == set()
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
        assert await partitions_for_topic(consumer, name, timeout_s=30) == {0, 1, 2}, _recheck("aiokafka")
    finally:
        await admin.delete_topics([name])
        await admin.close()
        await consumer.stop()


def test_as_current_event_is_what_faust_reads_as_the_current_event() -> None:
    class Ev:  # Faust keeps a weak reference
        pass

    ev = Ev()
    assert current_event() is None
    with events.as_current_event(ev):  # type: ignore[arg-type]
        assert current_event() is ev, _recheck("faust-streaming")
    assert current_event() is None


@pytest.fixture
def app() -> Any:
    from memesnipe.app import create_app
    from memesnipe.settings import Settings

    a = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    yield a
    a.finalize()


def _message(topic: str = "t", partition: int = 0, offset: int = 5) -> Any:
    from faust.types import Message

    return Message(topic, partition, offset, 0.0, 0, None, b"k", b"v", None)


def test_faust_consumer_keeps_committed_offsets_where_committed_offset_reads_them(app: Any) -> None:
    consumer = app.consumer
    assert isinstance(consumer, recovery.SnapshotConsumer), "recovery.install no longer takes effect"
    assert isinstance(consumer._committed_offset, dict), _recheck("faust-streaming")
    assert isinstance(consumer._read_offset, dict), _recheck("faust-streaming")
    assert events.committed_offset(consumer, "t", 0) is None
    consumer._committed_offset[TP("t", 0)] = 42
    assert events.committed_offset(consumer, "t", 0) == 42


def test_a_message_left_uncommitted_is_not_recorded_by_faust_ack(app: Any, monkeypatch) -> None:
    consumer = app.consumer
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: topic == "t")  # "t" subscribed
    recorded, left = _message(offset=5), _message(offset=6)
    events.leave_uncommitted(left)
    assert consumer.ack(recorded) is True
    assert consumer.ack(left) is False, _recheck("faust-streaming")
    assert 6 not in consumer._acked.get(TP("t", 0), []) and 5 in consumer._acked[TP("t", 0)]


def test_recovery_overrides_still_match_faust_private_methods(app: Any) -> None:
    """Each name :mod:`kafka_internals.recovery` overrides or calls, with the arguments it passes."""
    for name in ("_resume_streams", "on_recovery_completed"):
        params = list(inspect.signature(getattr(Recovery, name)).parameters)
        assert params == ["self", "generation_id"], f"Recovery.{name}{params}: " + _recheck("faust-streaming")
    for name in ("_set_recovery_ended", "_is_changelog_tp", "_wait"):
        assert callable(getattr(Recovery, name, None)), f"Recovery.{name}: " + _recheck("faust-streaming")
    assert list(inspect.signature(Recovery._wait).parameters)[:3] == ["self", "coro", "timeout"]
    assert "_recovery" in TableManager.__annotations__ or hasattr(TableManager, "_recovery")
    assert isinstance(app.tables.recovery, recovery.OrderedRecovery)
    assert hasattr(app._fetcher, "maybe_start"), "App._fetcher.maybe_start: " + _recheck("faust-streaming")
    getmany = inspect.signature(faust_aiokafka.Consumer._getmany).parameters
    assert list(getmany) == ["self", "active_partitions", "timeout"], _recheck("faust-streaming")
    thread = app.consumer._thread
    assert callable(thread.getmany) and callable(thread.seek_to_beginning), _recheck("faust-streaming")


def test_the_faust_cli_hook_we_replace_exists() -> None:
    from faust.cli import agents as agents_cli

    from memesnipe.kafka_internals import faust_cli

    assert list(inspect.signature(agents_cli.agents._maybe_topic).parameters) == ["self", "agent"], _recheck(
        "faust-streaming"
    )
    assert agents_cli.agents._maybe_topic is faust_cli._maybe_topic  # installed by memesnipe.app
    assert faust.__version__ == VERIFIED["faust-streaming"]


PRIVATE_ACCESS = re.compile(
    r"\._client\.force_metadata_update|\b_committed_offset|\b_read_offset|\._fetcher\b|\b_current_event"
    r"|\.acked\s*=[^=]|\b_maybe_topic|\._getmany\b|from (?:faust|aiokafka|mode)[\w.]* import _"
)


def test_no_module_outside_kafka_internals_touches_a_private_faust_or_aiokafka_name() -> None:
    root = REPO / "memesnipe"
    offenders = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in root.rglob("*.py")
        if "kafka_internals" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE_ACCESS.search(line)
    ]
    assert not offenders, "move these into memesnipe/kafka_internals/ (and pins.PRIVATE_USES):\n" + "\n".join(
        offenders
    )
