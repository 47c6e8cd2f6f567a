"""Shared fixtures. Integration tests use a real Kafka broker: MEMESNIPE_TEST_KAFKA (host:port)
if set, else 127.0.0.1:9092, started with deploy/kafka-local.sh when nothing listens there."""

from __future__ import annotations

import asyncio
import os
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.kafka import (
    REPO,
    IsolatedEnv,
    Process,
    delete_topics,
    new_isolated_env,
    port_open,
    start_worker,
)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("MEMESNIPE_TEST_KAFKA", "127.0.0.1:9092")
    host, port = bootstrap.rsplit(":", 1)
    if not port_open(host, int(port)):
        if "MEMESNIPE_TEST_KAFKA" in os.environ:
            pytest.fail(f"MEMESNIPE_TEST_KAFKA={bootstrap} is not reachable")
        subprocess.run([str(REPO / "deploy" / "kafka-local.sh"), "start"], check=True)
    return bootstrap


@pytest.fixture
def isolated_env(kafka_bootstrap: str, tmp_path: Path) -> Iterator[IsolatedEnv]:
    """Unique topic prefix, app id and data dir for this test's processes; its topics are
    deleted afterwards so a long test run does not exhaust the broker."""
    env = new_isolated_env(kafka_bootstrap, tmp_path)
    yield env
    try:
        asyncio.run(delete_topics(env))
    except Exception as exc:  # clean-up must never fail a test
        warnings.warn(f"could not delete test topics of {env.prefix}: {exc}", stacklevel=1)


@pytest.fixture
def env_factory(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Callable[[], IsolatedEnv]]:
    """Factory for more isolated envs in one test; all their topics are deleted afterwards."""
    made: list[IsolatedEnv] = []

    def _new() -> IsolatedEnv:
        env = new_isolated_env(kafka_bootstrap, tmp_path / f"env{len(made)}")
        made.append(env)
        return env

    yield _new
    for env in made:
        try:
            asyncio.run(delete_topics(env))
        except Exception as exc:
            warnings.warn(f"could not delete test topics of {env.prefix}: {exc}", stacklevel=1)


@pytest.fixture
def worker(isolated_env: IsolatedEnv) -> Iterator[Callable[..., Process]]:
    """Factory: ``worker(name="w1", extra_env={...})`` starts a Faust worker; all stop at teardown."""
    started: list[Process] = []

    def _start(name: str = "worker", extra_env: dict[str, str] | None = None) -> Process:
        p = start_worker(isolated_env, name, extra_env)
        started.append(p)
        return p

    yield _start
    for p in started:
        p.stop()
