"""A private single-node Kafka for the fault suite: its own loopback ports and state directory,
so the suite can restart it without touching the shared broker other tests use."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.kafka import REPO, free_port

BASE_ENV = dict(os.environ)  # at import: other threads of the suite swap settings variables

SCRIPT = REPO / "deploy" / "kafka-local.sh"


@dataclass
class PrivateBroker:
    """``deploy/kafka-local.sh`` with KAFKA_PORT / KAFKA_CONTROLLER_PORT / KAFKA_STATE_DIR of its own."""

    state_dir: Path
    port: int = 0
    controller_port: int = 0
    heap: str = "512m"
    partitions: int = 4

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, command: str) -> None:
        env = dict(BASE_ENV)
        env.update(
            KAFKA_PORT=str(self.port),
            KAFKA_CONTROLLER_PORT=str(self.controller_port),
            KAFKA_STATE_DIR=str(self.state_dir),
            KAFKA_HEAP=self.heap,
            KAFKA_PARTITIONS=str(self.partitions),
            KAFKA_START_TIMEOUT_S="240",  # a restart on a loaded machine (KRaft log recovery)
        )
        subprocess.run([str(SCRIPT), command], env=env, check=True, stdout=subprocess.DEVNULL)

    def fetch(self) -> None:
        """The Kafka jars into the shared cache, once (several private brokers may start at once)."""
        self._run("fetch")

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._run("start")

    def stop(self) -> None:
        """SIGTERM (the script escalates to SIGKILL after 30 s); a no-op when not running."""
        self._run("stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        """Stop it and delete its data, logs and pid file."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.state_dir, ignore_errors=True)
