import httpx
import pytest

from memesnipe.connectors.errors import RateLimitedError, RejectedError, TemporaryError
from memesnipe.connectors.http import HttpClient, RetryPolicy


def make(handler, attempts=3):
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    client = HttpClient(
        "prov",
        "https://api.example",
        transport=httpx.MockTransport(handler),
        rate_per_s=1000,
        retry=RetryPolicy(attempts=attempts, base_delay_s=0.1, jitter=0.0),
        sleep=sleep,
    )
    return client, sleeps


async def test_retries_5xx_then_succeeds_with_exponential_backoff():
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req.url.path)
        return httpx.Response(503, text="busy") if len(calls) < 3 else httpx.Response(200, json={"ok": 1})

    client, sleeps = make(handler)
    assert await client.get("/x") == {"ok": 1}
    assert len(calls) == 3
    assert sleeps == [0.1, 0.2]


async def test_429_honours_retry_after_and_raises_rate_limited_when_exhausted():
    client, sleeps = make(lambda r: httpx.Response(429, headers={"retry-after": "1.5"}), attempts=2)
    with pytest.raises(RateLimitedError):
        await client.get("/x")
    assert sleeps[0] == 1.5


async def test_4xx_is_rejected_without_retry():
    calls = []

    def handler(req):
        calls.append(1)
        return httpx.Response(400, text="bad mint")

    client, _ = make(handler)
    with pytest.raises(RejectedError, match=r"HTTP 400.*bad mint"):
        await client.get("/x")
    assert len(calls) == 1


async def test_network_errors_become_temporary_errors():
    def handler(req):
        raise httpx.ConnectError("refused", request=req)

    client, _ = make(handler, attempts=2)
    with pytest.raises(TemporaryError, match="network error"):
        await client.get("/x")
    assert client.failures == 2
