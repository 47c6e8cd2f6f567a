"""Fixtures: a seeded chDB, and the cockpit served on a free port against it and real Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from memesnipe.settings import Settings
from memesnipe.sinks.client import Store
from memesnipe.web.cockpit import Cockpit, setup_routes
from tests.support.kafka import IsolatedEnv, create_topics, free_port
from tests.web.seed import Seeder, open_store, queries, seed_session

TOKEN = "test-operator-token-0123456789"
LIVE = {"MEMESNIPE_MODE": "live", "MEMESNIPE_LIVE_CONFIRM": "I-ACCEPT-REAL-MONEY-RISK"}


@dataclass
class Served:
    url: str
    env: IsolatedEnv
    settings: Settings
    store: Store
    seeder: Seeder
    cockpit: Cockpit


@pytest.fixture
def seeded_store(tmp_path: Path) -> Iterator[tuple[Store, Seeder]]:
    store = open_store(tmp_path / "clickhouse")
    seeder = seed_session(store)
    yield store, seeder
    store.close()


Start = Callable[..., Awaitable[Served]]


@pytest.fixture
async def cockpit_factory(
    isolated_env: IsolatedEnv, seeded_store: tuple[Store, Seeder]
) -> AsyncIterator[Start]:
    """``await start(extra_env)``: the cockpit mounted on a plain aiohttp app, as the analytics
    process mounts it, with this test's topics, settings from ``extra_env``, on a free port."""
    runners: list[web.AppRunner] = []
    await create_topics(isolated_env, ["killswitch"])
    store, seeder = seeded_store

    async def start(extra_env: dict[str, str] | None = None) -> Served:
        isolated_env.extra.update({"MEMESNIPE_WEB__POLL_S": "0.3", **(extra_env or {})})
        settings = isolated_env.settings()
        app = web.Application()
        cockpit = setup_routes(app, queries(store), settings=settings)
        runner = web.AppRunner(app, shutdown_timeout=5)
        await runner.setup()
        runners.append(runner)
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return Served(f"http://127.0.0.1:{port}/", isolated_env, settings, store, seeder, cockpit)

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def served(cockpit_factory: Start) -> Served:
    """The cockpit with an operator token configured (paper mode)."""
    return await cockpit_factory({"MEMESNIPE_WEB__TOKEN": TOKEN})
