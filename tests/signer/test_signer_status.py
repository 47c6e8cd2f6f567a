"""The signer's own /metrics, /healthz and /readyz, read with real HTTP GETs: from the running
signer process on the real broker, and from an in-process server before the worker is ready."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from memesnipe.settings import load_settings
from memesnipe.signer.metrics import CONTENT_TYPE, REASON_CLASSES, SignerMetrics, reason_class
from memesnipe.signer.signing import SigningService
from memesnipe.signer.status import StatusServer
from memesnipe.signer.worker import SignerWorker
from memesnipe.streams.base import utcnow
from memesnipe.streams.control import KillSwitch
from tests.signer.helpers import MINT, paper_ixs, request, unsigned_tx, wire
from tests.signer.test_worker import start_signer, wallet
from tests.support.kafka import IsolatedEnv, consume, create_topics, free_port, produce


def http_get(url: str, method: str = "GET") -> tuple[int, str, str]:
    """Status, content type and body (error statuses too)."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, parsed by the reference parser."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, ctype, body = http_get(base + "/metrics")
    assert status == 200 and ctype == CONTENT_TYPE
    return samples(body)


@pytest.mark.integration
async def test_running_signer_serves_metrics_health_and_readiness(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env)
    port = free_port()
    env.extra["MEMESNIPE_SIGNER__METRICS_PORT"] = str(port)
    base = f"http://127.0.0.1:{port}"
    signer = start_signer(env)
    try:
        assert http_get(base + "/healthz")[::2] == (200, "ok\n")
        assert http_get(base + "/readyz")[::2] == (200, "ready\n")
        assert http_get(base + "/nope")[0] == 404 and http_get(base + "/metrics", "POST")[0] == 405
        me = wallet(env)
        good = request(unsigned_tx(me, paper_ixs(me, memo=b"m1")), spend=20_000)
        forged = request(unsigned_tx(me, paper_ixs(me, memo=b"m2")), spend=20_000, secret="y" * 20)
        deep = b'{"meta":{"a":' + b"[" * 7000 + b"}}"
        big = b"{" + b" " * 20_000 + b"}"
        records = [(MINT.encode(), v) for v in (wire(good), wire(forged), deep, big, wire(good))]
        await produce(env.bootstrap, env.topic("exec_requests"), records)
        await consume(env.bootstrap, env.topic("exec_results"), min_count=len(records), idle_s=0.5)
        m = scrape(base)
        journal = env.data_dir / "signer" / "journal-paper.jsonl"
        assert m[("memesnipe_signer_requests_total", (("outcome", "signed"),))] == 1
        assert m[("memesnipe_signer_requests_total", (("outcome", "refused"),))] == 3
        assert m[("memesnipe_signer_requests_total", (("outcome", "replayed"),))] == 1
        assert m[("memesnipe_signer_refusals_total", (("reason", "bad_hmac"),))] == 1
        assert m[("memesnipe_signer_refusals_total", (("reason", "intake_too_deep"),))] == 1
        assert m[("memesnipe_signer_refusals_total", (("reason", "intake_too_large"),))] == 1
        assert m[("memesnipe_signer_dead_letters_total", ())] == 2
        assert m[("memesnipe_signer_request_seconds_count", ())] == 5
        assert m[("memesnipe_signer_request_seconds_bucket", (("le", "+Inf"),))] == 5
        assert 0 < m[("memesnipe_signer_request_seconds_sum", ())] < 5
        assert m[("memesnipe_signer_batch_seconds_count", ())] >= 1
        assert m[("memesnipe_signer_journal_entries", ())] == 1
        assert m[("memesnipe_signer_journal_bytes", ())] == journal.stat().st_size > 0
        spent = m[("memesnipe_signer_spent_today_lamports", ())]
        spent_day = utcnow().date()
        assert spent > 0
        assert m[("memesnipe_signer_kill_switch_active", ())] == 0
        assert m[("memesnipe_signer_ready", ())] == 1
        # the kill switch gauge follows the topic
        ks = KillSwitch(active=True, ts=utcnow(), by="test", reason="dd")
        await produce(env.bootstrap, env.topic("killswitch"), [(b"global", msgspec.json.encode(ks))])
        deadline = time.monotonic() + 15
        while scrape(base)[("memesnipe_signer_kill_switch_active", ())] != 1:
            assert time.monotonic() < deadline, "kill switch gauge never turned on"
            await asyncio.sleep(0.2)
    finally:
        signer.stop()
    # a restart on the same data dir recovers the journal and the day's ledger exactly
    signer = start_signer(env, "signer-restarted")
    try:
        m = scrape(base)
        assert m[("memesnipe_signer_journal_entries", ())] == 1
        # the gauge is today's ledger: across a UTC midnight the new day starts at 0
        today = spent if utcnow().date() == spent_day else 0
        assert m[("memesnipe_signer_spent_today_lamports", ())] == today
        assert m[("memesnipe_signer_kill_switch_active", ())] == 1  # known before the first request
        assert m[("memesnipe_signer_requests_total", (("outcome", "signed"),))] == 0  # a new process
    finally:
        signer.stop()
    with pytest.raises(OSError):  # stopped: nothing listens any more
        http_get(base + "/healthz")


async def test_readyz_is_503_until_the_kill_switch_is_loaded_and_the_loop_runs(
    make_service: Callable[..., SigningService], tmp_path: Path
) -> None:
    worker = SignerWorker(load_settings(data_dir=tmp_path), make_service())
    server = StatusServer("127.0.0.1", 0, worker.metrics.render, worker.ready, CONTENT_TYPE)
    assert await server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        get = lambda path: asyncio.to_thread(http_get, base + path)  # noqa: E731
        status, _, body = await get("/readyz")
        assert (status, body) == (503, "not ready: kill switch state not loaded yet\n")
        assert (await get("/healthz"))[0] == 200  # alive all the same
        worker.kill_loaded = True
        assert (await get("/readyz"))[2] == "not ready: request consumer not running\n"
        assert samples((await get("/metrics"))[2])[("memesnipe_signer_ready", ())] == 0
    finally:
        await server.stop()


def test_refusal_reason_classes_are_a_small_fixed_set() -> None:
    """The label is a class, never the free text (which carries amounts, ids, accounts)."""
    cases = {
        "undecodable request (too_deep): JSON nested too deeply": "intake_too_deep",
        "undecodable request (schema): Expected `str`, got `int` - at `$.mint`": "intake_schema",
        "undecodable request: something older": "undecodable",
        "bad hmac": "bad_hmac",
        "unsupported request version 2": "version",
        "duplicate request_id (first decision: signed)": "duplicate",
        "internal error: KeyError": "internal_error",
        "kill switch active: entries refused (dd)": "kill_switch",
        "stale request: created 300 s ago (max 120 s)": "stale",
        "paper request to a live signer": "mode",
        "daily cap: 123 spent today": "cap",
        "program Xyz111 not allowed": "policy",
    }
    assert {reason: reason_class(reason) for reason in cases} == cases
    assert set(cases.values()) <= REASON_CLASSES and len(REASON_CLASSES) < 25


def test_metrics_text_parses_and_counts_each_outcome_once() -> None:
    m = SignerMetrics()
    m.gauge("memesnipe_signer_kill_switch_active", "on", lambda: True)
    m.observe("signed", "", False, False, 0.00004)
    m.observe("refused", "bad hmac", False, False, 0.00002)
    m.observe("refused", 'undecodable request (too_large): "quoted"\n', False, True, 0.2)
    m.observe("signed", "", True, False, 0.00001)  # replayed: counted as replayed only
    got = samples(m.render().decode())
    assert got[("memesnipe_signer_requests_total", (("outcome", "signed"),))] == 1
    assert got[("memesnipe_signer_requests_total", (("outcome", "replayed"),))] == 1
    assert got[("memesnipe_signer_refusals_total", (("reason", "intake_too_large"),))] == 1
    assert got[("memesnipe_signer_dead_letters_total", ())] == 1
    assert got[("memesnipe_signer_request_seconds_bucket", (("le", "5e-05"),))] == 3
    assert got[("memesnipe_signer_request_seconds_bucket", (("le", "0.05"),))] == 3
    assert got[("memesnipe_signer_request_seconds_bucket", (("le", "+Inf"),))] == 4
    assert got[("memesnipe_signer_kill_switch_active", ())] == 1
