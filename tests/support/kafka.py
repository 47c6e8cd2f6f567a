"""Real-broker helpers for integration tests: topics, produce, consume, worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from memesnipe.streams.topics import ALL_TOPICS, COMPACTED

_ENV_LOCK = threading.Lock()

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class IsolatedEnv:
    """Environment for one test's processes: its own topics, app id and data directory."""

    bootstrap: str
    prefix: str
    app_id: str
    data_dir: Path
    partitions: int = 4
    extra: dict[str, str] = field(default_factory=dict)

    def topic(self, short: str) -> str:
        return self.prefix + short

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
        env.update(
            {
                "MEMESNIPE_KAFKA__BROKER": f"kafka://{self.bootstrap}",
                "MEMESNIPE_KAFKA__TOPIC_PREFIX": self.prefix,
                "MEMESNIPE_KAFKA__APP_ID": self.app_id,
                "MEMESNIPE_KAFKA__PARTITIONS": str(self.partitions),
                "MEMESNIPE_DATA_DIR": str(self.data_dir),
                "MEMESNIPE_METRICS_PORT": "0",
                "MEMESNIPE_SIGNER__METRICS_PORT": "0",  # a test that wants it picks a free port
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra)
        return env

    def settings(self) -> Any:
        """The settings a process started with :attr:`env` reads. Only the MEMESNIPE_ variables
        are swapped, under a lock: threads of the same test (the fault suite's) start processes
        meanwhile, and a cleared environment once handed them no HOME."""
        from memesnipe.settings import ENV_PREFIX, Settings

        ours = {k: v for k, v in self.env.items() if k.upper().startswith(ENV_PREFIX)}
        with _ENV_LOCK:
            theirs = [k for k in os.environ if k.upper().startswith(ENV_PREFIX)]
            saved = {k: os.environ.pop(k) for k in theirs}
            os.environ.update(ours)
            try:
                return Settings()
            finally:
                for k in ours:
                    os.environ.pop(k, None)
                os.environ.update(saved)


def new_isolated_env(bootstrap: str, base: Path, partitions: int = 4) -> IsolatedEnv:
    tag = uuid.uuid4().hex[:10]
    data = base / f"data-{tag}"
    data.mkdir(parents=True, exist_ok=True)
    return IsolatedEnv(bootstrap, f"t{tag}.", f"test-{tag}", data, partitions)


async def create_topics(env: IsolatedEnv, names: Iterable[str] = ALL_TOPICS) -> None:
    """Create the test's topics up front with the configured partition count."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    await admin.start()
    try:
        new = [
            NewTopic(
                env.topic(n),
                num_partitions=env.partitions,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"} if n in COMPACTED else {},
            )
            for n in names
        ]
        try:
            await admin.create_topics(new)
        except Exception as exc:  # already exists
            if "TopicAlreadyExists" not in type(exc).__name__ + str(exc):
                raise
        from memesnipe.cli.topics import wait_for_leaders

        await wait_for_leaders(admin, [t.name for t in new])
    finally:
        await admin.close()


async def delete_topics(env: IsolatedEnv) -> int:
    """Delete every topic of this env: its prefixed topics, and the Faust app's internal
    (changelog, repartition) topics named after its app id. Keeps the shared broker lean."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    await admin.start()
    try:
        names = [
            t
            for t in await admin.list_topics()
            if t.startswith(env.prefix)
            or t.startswith(env.app_id + "-")
            or t.startswith(env.prefix + "replay-")
        ]
        if names:
            await admin.delete_topics(names, timeout_ms=30_000)
        return len(names)
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, records: Sequence[tuple[bytes | None, bytes]]) -> None:
    """Send (key, value) records and wait until all are acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    try:
        futs = [await producer.send(topic, value=v, key=k) for k, v in records]
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


async def consume(
    bootstrap: str,
    topic: str,
    *,
    min_count: int = 0,
    timeout_s: float = 30.0,
    idle_s: float = 2.0,
) -> list[Any]:
    """Read ``topic`` from the beginning until ``min_count`` records arrived and the topic has
    been idle for ``idle_s`` (or ``timeout_s`` passed). Returns aiokafka ConsumerRecords."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    out: list[Any] = []
    try:
        parts = None
        deadline = time.monotonic() + timeout_s
        while parts is None and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(topic)
            if not parts:
                await consumer._client.force_metadata_update()  # topic may not exist yet
                parts = consumer.partitions_for_topic(topic) or None
                if parts is None:
                    await asyncio.sleep(0.2)
        if not parts:
            return out
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            got = [r for recs in batch.values() for r in recs]
            if got:
                out.extend(got)
                last_new = time.monotonic()
            elif len(out) >= min_count and time.monotonic() - last_new >= idle_s:
                break
        return out
    finally:
        await consumer.stop()


class Process:
    """A memesnipe process (worker, signer, ...) started for a test, with its log file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.args = list(args)
        self.log = log
        self._fh = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *self.args],
            env=env,
            cwd=str(REPO),
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.args} exited {self.proc.returncode}:\n{self.output()[-4000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"{self.args}: {text!r} not seen in {timeout_s}s:\n{self.output()[-4000:]}")

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._fh.close()

    def kill(self) -> None:
        """SIGKILL: a crash, no clean shutdown, no final commit."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._fh.close()


def start_worker(env: IsolatedEnv, name: str = "worker", extra_env: dict[str, str] | None = None) -> Process:
    """Run ``python -m memesnipe worker`` for this env and wait until Faust says it is ready."""
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    e.update(extra_env or {})
    log = env.data_dir / f"{name}.log"
    p = Process(["memesnipe", "worker", "-l", "info", "--without-web"], e, log)
    p.wait_for("Ready", timeout_s=240)
    return p
