"""Readiness checks and the status server, over real HTTP."""

from __future__ import annotations

import httpx

from memesnipe import health
from tests.support.kafka import free_port


def test_ready_only_when_every_check_passes_and_a_raising_check_fails() -> None:
    flag = {"ok": False}
    r = health.Readiness("unit-a")
    r.add("flag", lambda: (flag["ok"], "flag is down"))
    r.add("fine", lambda: (True, ""))
    assert r.status() == (False, {"flag": "flag is down", "fine": "ok"})
    flag["ok"] = True
    assert r.status() == (True, {"flag": "ok", "fine": "ok"})

    def boom() -> tuple[bool, str]:
        raise RuntimeError("no consumer")

    r.add("boom", boom)
    ok, checks = r.status()
    assert not ok and checks["boom"] == "RuntimeError: no consumer"
    assert health.Readiness("unit-empty").status() == (False, {})  # nothing checked: not ready


async def test_status_server_answers_healthz_readyz_and_metrics_over_http() -> None:
    flag = {"ok": False}
    r = health.Readiness("unit-b").add("flag", lambda: (flag["ok"], "warming up"))
    port = free_port()
    runner = await health.start_status_server("127.0.0.1", port, r)
    assert runner is not None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            assert (await http.get("/healthz")).status_code == 200
            resp = await http.get("/readyz")
            assert resp.status_code == 503
            assert resp.json() == {"ready": False, "process": "unit-b", "checks": {"flag": "warming up"}}
            assert 'memesnipe_ready{process="unit-b"} 0.0' in (await http.get("/metrics")).text
            flag["ok"] = True
            resp = await http.get("/readyz")
            assert resp.status_code == 200 and resp.json()["ready"] is True
            assert 'memesnipe_ready{process="unit-b"} 1.0' in (await http.get("/metrics")).text
            assert (await http.get("/nope")).status_code == 404
        # a taken port is logged, not fatal
        assert await health.start_status_server("127.0.0.1", port, r) is None
        assert await health.start_status_server("127.0.0.1", 0, r) is None
    finally:
        await runner.cleanup()
