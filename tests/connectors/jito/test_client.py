"""Jito client against the documented JSON-RPC examples (tests/fixtures/jito, see SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError, RejectedError
from memesnipe.connectors.http import RetryPolicy
from memesnipe.connectors.jito import BundleState, JitoClient
from memesnipe.connectors.jito.landing import wait_for_bundle

FIX = Path(__file__).parents[2] / "fixtures" / "jito"


def fixture(name: str):
    return json.loads((FIX / name).read_text())


class Recorder:
    """A MockTransport handler that answers by JSON-RPC method (or URL path) and records requests."""

    def __init__(self, answers):
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = request.url.path if request.method == "GET" else json.loads(request.content)["method"]
        answer = self.answers[key]
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


async def _noop(_s: float) -> None:
    return None


def client(rec: Recorder, **kw) -> JitoClient:
    kw.setdefault("rate_per_s", 1000.0)
    return JitoClient(
        "https://ny.mainnet.block-engine.jito.wtf",
        transport=httpx.MockTransport(rec),
        retry=RetryPolicy(attempts=3, base_delay_s=0),
        sleep=_noop,
        **kw,
    )


async def test_tip_accounts_are_fetched_once_and_cached():
    rec = Recorder({"getTipAccounts": fixture("get_tip_accounts.json")})
    now = [0.0]
    c = client(rec, clock=lambda: now[0], tip_accounts_ttl_s=60)
    a = await c.get_tip_accounts()
    b = await c.get_tip_accounts()
    assert a == b and len(a) == 8 and a[0] == "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5"
    assert len(rec.requests) == 1
    now[0] = 61
    await c.get_tip_accounts()
    assert len(rec.requests) == 2
    req = json.loads(rec.requests[0].content)
    assert req["method"] == "getTipAccounts" and req["params"] == [] and req["jsonrpc"] == "2.0"
    assert rec.requests[0].url.path == "/api/v1/bundles"


async def test_uuid_goes_in_the_auth_header():
    rec = Recorder({"getTipAccounts": fixture("get_tip_accounts.json")})
    await client(rec, uuid="abc-uuid").get_tip_accounts()
    assert rec.requests[0].headers["x-jito-auth"] == "abc-uuid"


async def test_tip_floor_is_parsed_into_lamports():
    rec = Recorder({"/api/v1/bundles/tip_floor": fixture("tip_floor.json")})
    floor = await client(rec).get_tip_floor()
    assert floor.percentiles[50] == 10_000
    assert floor.percentiles[25] == 6_001
    assert floor.percentiles[99] == 10_007_999
    assert floor.ema50 == 9_836
    assert rec.requests[0].url.host == "bundles.jito.wtf"


async def test_send_bundle_posts_base64_and_returns_the_id():
    rec = Recorder({"sendBundle": fixture("send_bundle.json")})
    bid = await client(rec).send_bundle(["AQID"])
    assert bid == "2id3YC2jK9G5Wo2phDx4gJVAew8DcY5NAojnVuao8rkxwPYPe8cSwE5GzhEgJA2y8fVjDEo6iR6ykBvDxrTQrtpb"
    body = json.loads(rec.requests[0].content)
    assert body["params"] == [["AQID"], {"encoding": "base64"}]
    with pytest.raises(ValueError):
        await client(rec).send_bundle(["x"] * 6)


async def test_send_transaction_uses_bundle_only_endpoint():
    rec = Recorder({"sendTransaction": fixture("send_transaction.json")})
    sig = await client(rec).send_transaction("AQID")
    assert sig.startswith("2id3")
    assert rec.requests[0].url.path == "/api/v1/transactions"
    assert rec.requests[0].url.params["bundleOnly"] == "true"


async def test_inflight_statuses_documented_example_are_invalid():
    rec = Recorder({"getInflightBundleStatuses": fixture("get_inflight_bundle_statuses.json")})
    ids = [e["bundle_id"] for e in fixture("get_inflight_bundle_statuses.json")["result"]["value"]]
    st = await client(rec).get_inflight_bundle_statuses(ids)
    assert {s.state for s in st.values()} == {BundleState.INVALID}


async def test_bundle_statuses_documented_example_landed_finalized():
    rec = Recorder({"getBundleStatuses": fixture("get_bundle_statuses.json")})
    bid = "892b79ed49138bfb3aa5441f0df6e06ef34f9ee8f3976c15b323605bae0cf51d"
    st = (await client(rec).get_bundle_statuses([bid]))[bid]
    assert st.state is BundleState.LANDED and st.slot == 242804011 and st.confirmation == "finalized"
    assert st.signatures[0].startswith("3bC2M9")


async def test_null_result_means_unknown_bundle():
    rec = Recorder({"getBundleStatuses": {"jsonrpc": "2.0", "result": None, "id": 1}})
    st = await client(rec).get_bundle_statuses(["b1"])
    assert st["b1"].state is BundleState.UNKNOWN


async def test_rpc_error_is_rejected_with_the_message():
    rec = Recorder(
        {
            "sendBundle": {
                "jsonrpc": "2.0",
                "error": {"code": -32602, "message": "bundle contains an already processed transaction"},
                "id": 1,
            }
        }
    )
    with pytest.raises(RejectedError, match="already processed"):
        await client(rec).send_bundle(["AQID"])


async def test_429_is_retried_then_succeeds():
    calls = []

    def flaky(req):
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"retry-after": "0"})
        return httpx.Response(200, json=fixture("get_tip_accounts.json"))

    rec = Recorder({"getTipAccounts": flaky})
    assert len(await client(rec).get_tip_accounts()) == 8
    assert len(calls) == 2


async def test_malformed_tip_floor_is_a_parse_error():
    rec = Recorder({"/api/v1/bundles/tip_floor": [{"time": "x"}]})
    with pytest.raises(ParseError, match="documented shape"):
        await client(rec).get_tip_floor()


def _inflight(status: str, slot=None):
    doc = fixture("get_inflight_bundle_statuses.json")  # documented shape, status edited
    entry = dict(doc["result"]["value"][0], status=status, landed_slot=slot)
    doc["result"]["value"] = [entry]
    return doc


async def test_wait_for_bundle_polls_until_landed_then_confirms():
    seq = [_inflight("Pending"), _inflight("Pending"), _inflight("Landed", 242804011)]
    bid = seq[0]["result"]["value"][0]["bundle_id"]
    final = fixture("get_bundle_statuses.json")
    final["result"]["value"][0]["bundle_id"] = bid
    rec = Recorder({"getInflightBundleStatuses": lambda r: seq.pop(0), "getBundleStatuses": final})
    sleeps = []

    async def sleep(s):
        sleeps.append(s)

    st = await wait_for_bundle(client(rec), bid, timeout_s=30, poll_interval_s=0.5, sleep=sleep)
    assert st.state is BundleState.LANDED and st.slot == 242804011 and st.signatures
    assert sleeps == [0.5, 0.5]


async def test_wait_for_bundle_failed_and_timeout():
    rec = Recorder({"getInflightBundleStatuses": _inflight("Failed")})
    bid = _inflight("Failed")["result"]["value"][0]["bundle_id"]
    assert (
        await wait_for_bundle(client(rec), bid, timeout_s=5, poll_interval_s=1, sleep=_noop)
    ).state is BundleState.FAILED
    now = [0.0]

    async def tick(s):
        now[0] += s

    rec2 = Recorder({"getInflightBundleStatuses": _inflight("Pending")})
    st = await wait_for_bundle(
        client(rec2), bid, timeout_s=3, poll_interval_s=1, sleep=tick, clock=lambda: now[0]
    )
    assert st.state is BundleState.INVALID and "timed out" in st.error
    assert len(rec2.requests) == 4


async def test_requests_are_spaced_by_the_rate_limit():
    import time

    rec = Recorder({"getTipAccounts": fixture("get_tip_accounts.json")})
    c = JitoClient(transport=httpx.MockTransport(rec), rate_per_s=20.0, tip_accounts_ttl_s=0)
    t0 = time.monotonic()
    for _ in range(5):
        await c.get_tip_accounts()
    # burst 1: the 2nd..5th request each wait 1/20 s
    assert time.monotonic() - t0 >= 4 / 20 * 0.9
    assert len(rec.requests) == 5
