"""One control plane on the real broker: ``memesnipe kill`` (the CLI) pauses the signer, the risk
gate and the router; the cockpit's resume (the same kill/resume service) lifts it for all three.
Each is observed through what it does or exports: the signer's kill-switch gauge, the risk gate's
rejections, the router's order updates."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Intent, Order, OrderRejection, OrderState, OrderUpdate, Side, Venue
from tests.agents.riskmsgs import T0, signal
from tests.signer.helpers import SECRET
from tests.signer.test_worker import start_signer, wallet
from tests.support.kafka import REPO, IsolatedEnv, Process, consume, create_topics, free_port, produce
from tests.web.seed import open_store, queries, seed_session

pytestmark = pytest.mark.integration
MINT = "MintControlPlane1111111111111111111111111111"
TOKEN = "control-plane-operator-token-0123"


@pytest.fixture
async def cockpit(isolated_env: IsolatedEnv, tmp_path: Path) -> AsyncIterator[str]:
    """The cockpit mounted as the analytics process mounts it (seeded chDB, this test's Kafka
    topics, an operator token), on a free port: its base URL."""
    from memesnipe.web.cockpit import setup_routes

    store = open_store(tmp_path / "clickhouse")
    seed_session(store)
    isolated_env.extra["MEMESNIPE_WEB__TOKEN"] = TOKEN
    app = web.Application()
    setup_routes(app, queries(store), settings=isolated_env.settings())
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()
        store.close()


def entry_order(i: int) -> Order:
    return Order(
        order_id=hashlib.sha256(f"control|{i}".encode()).hexdigest()[:32],
        signal_id=f"cs{i}",
        instance_id="inst",
        family="f",
        mint=MINT,
        ts=T0,
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=10_000_000,
        price_sol=0.001,
        price_usd=0.15,
    )


async def until(what: str, check: Callable[[], Awaitable[bool]], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"not seen in {timeout_s:.0f} s: {what}"
        await asyncio.sleep(0.3)


def signer_kill_gauge(port: int) -> float:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "memesnipe_signer_kill_switch_active":
                return s.value
    raise AssertionError("memesnipe_signer_kill_switch_active not exported")


async def test_cli_kill_and_cockpit_resume_reach_the_signer_the_risk_gate_and_the_router(
    isolated_env: IsolatedEnv, cockpit: str
) -> None:
    env = isolated_env
    await create_topics(env)
    signer_port = free_port()
    env.extra["MEMESNIPE_SIGNER__METRICS_PORT"] = str(signer_port)
    signer = start_signer(env)
    env.extra["MEMESNIPE_SIGNER__WALLET_PUBKEY"] = str(wallet(env))
    env.extra["MEMESNIPE_HMAC_SECRET"] = SECRET  # the router authenticates its requests to the signer
    env.extra["MEMESNIPE_WEB_PORT"] = str(free_port())
    worker = Process(["tests.integration.control_worker"], env.env, env.data_dir / "worker.log")
    try:
        worker.wait_for("risk gate ready: kill switch off", timeout_s=120)
        assert signer_kill_gauge(signer_port) == 0

        # -- the CLI kills -------------------------------------------------------------------
        r = subprocess.run(
            [sys.executable, "-m", "memesnipe", "kill", "--by", "alice", "--reason", "incident #7"],
            env=env.env, cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert r.returncode == 0 and "kill switch: ON" in r.stdout, r.stdout + r.stderr

        async def signer_on() -> bool:
            return signer_kill_gauge(signer_port) == 1

        await until("the signer's kill switch on", signer_on, 30)

        await produce(env.bootstrap, env.topic("signals"), [(MINT.encode(), encode(signal("k1", MINT)))])
        await produce(env.bootstrap, env.topic("orders"), [(MINT.encode(), encode(entry_order(1)))])
        rejected = await rejections_of(env, "k1")
        assert rejected is not None and rejected.rule == "kill_switch" and "incident #7" in rejected.reason, (
            rejected
        )
        ups = await updates_of(env, entry_order(1).order_id, 2)
        assert [u.state for u in ups] == [OrderState.NEW, OrderState.REJECTED]
        assert "kill switch active: incident #7" in ups[-1].reason

        # -- the cockpit resumes ---------------------------------------------------------------
        body = {"reason": "incident closed", "operator": "bob", "confirm": "RESUME"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                cockpit + "api/resume", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
            ) as resp,
        ):
            assert resp.status == 200, await resp.text()

        async def signer_off() -> bool:
            return signer_kill_gauge(signer_port) == 0

        await until("the signer's kill switch off", signer_off, 30)

        await produce(env.bootstrap, env.topic("signals"), [(MINT.encode(), encode(signal("k2", MINT)))])
        await produce(env.bootstrap, env.topic("orders"), [(MINT.encode(), encode(entry_order(2)))])
        after = await rejections_of(env, "k2", allow_none=True)
        assert after is None or after.rule != "kill_switch", after  # judged on its other rules
        ups = await updates_of(env, entry_order(2).order_id, 2)
        assert [u.state for u in ups][:2] == [OrderState.NEW, OrderState.ROUTED], ups
        signed = await consume(
            env.bootstrap, env.topic("exec_results"), min_count=1, timeout_s=60, idle_s=0.5
        )
        res = [decode(r.value, ExecutionResult) for r in signed]
        assert [(x.request_id, x.status) for x in res] == [(entry_order(2).order_id, ExecutionStatus.SIGNED)]
    finally:
        worker.stop()
        signer.stop()

    recs = await consume(env.bootstrap, env.topic("killswitch"), min_count=2, timeout_s=30, idle_s=0.5)
    got = [(r.key, decode(r.value, KillSwitch)) for r in recs]
    assert [(k, s.active, s.by, s.reason) for k, s in got] == [
        (b"global", True, "alice", "incident #7"),
        (b"global", False, "cockpit:bob@127.0.0.1", "incident closed"),
    ]


async def rejections_of(env: IsolatedEnv, sid: str, *, allow_none: bool = False) -> OrderRejection | None:
    """The risk gate's answer to signal ``sid``: its rejection, or None once an order was sent."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rej = await consume(env.bootstrap, env.topic("rejections"), timeout_s=2, idle_s=0.5)
        for r in rej:
            msg = decode(r.value, OrderRejection)
            if msg.signal_id == sid:
                return msg
        orders = await consume(env.bootstrap, env.topic("orders"), timeout_s=2, idle_s=0.5)
        if allow_none and any(decode(r.value, Order).signal_id == sid for r in orders):
            return None
    raise AssertionError(f"the risk gate never answered signal {sid}")


async def updates_of(env: IsolatedEnv, order_id: str, n: int) -> list[OrderUpdate]:
    deadline = time.monotonic() + 60
    while True:
        recs = await consume(env.bootstrap, env.topic("order_updates"), timeout_s=2, idle_s=0.5)
        ups = [u for u in (decode(r.value, OrderUpdate) for r in recs) if u.order_id == order_id]
        if len(ups) >= n or time.monotonic() > deadline:
            return ups
