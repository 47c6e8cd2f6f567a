"""One HTTP seam for every provider: httpx with an injectable transport, timeouts, retries
with exponential backoff on 429/5xx (honouring Retry-After), and a token-bucket rate limit.

Tests pass ``transport=httpx.MockTransport(handler)``; nothing else is mocked.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from memesnipe.connectors.errors import RateLimitedError, RejectedError, TemporaryError


@dataclass
class RetryPolicy:
    attempts: int = 4
    base_delay_s: float = 0.25
    max_delay_s: float = 8.0
    jitter: float = 0.2

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay_s)
        d = min(self.base_delay_s * (2**attempt), self.max_delay_s)
        return d * (1 + random.uniform(-self.jitter, self.jitter))


class TokenBucket:
    """Allows ``rate_per_s`` requests per second on average, bursts up to ``burst``."""

    def __init__(self, rate_per_s: float, burst: int | None = None) -> None:
        self.rate = rate_per_s
        self.capacity = float(burst if burst is not None else max(1, int(rate_per_s)))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class HttpClient:
    """A provider's HTTP client. ``request_json`` returns the decoded JSON body or raises a
    ProviderError subclass; counts of requests and failures are kept for health metrics."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        rate_per_s: float = 10.0,
        burst: int | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Any = asyncio.sleep,
        retry_after: Callable[[httpx.Response], float | None] = _retry_after,
        on_retry: Callable[[TemporaryError, float], None] | None = None,
    ) -> None:
        """``retry_after`` reads a 429 answer's wait in seconds (default: the Retry-After
        header); ``on_retry(error, wait_s)`` is called before each retry (metrics, logs)."""
        self.provider = provider
        self._retry_after = retry_after
        self._on_retry = on_retry
        self.retry = retry or RetryPolicy()
        self.bucket = TokenBucket(rate_per_s, burst)
        self._sleep = sleep
        self.requests = 0
        self.failures = 0
        self.last_error: str = ""
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The provider's answer, after retrying network failures, timeouts, 429 and 5xx with
        backoff (429: the ``retry_after`` the answer gives); any other status is returned as it
        is. Raises :class:`TemporaryError` (:class:`RateLimitedError`) when the attempts run out."""
        last: TemporaryError | None = None
        for attempt in range(self.retry.attempts):
            await self.bucket.acquire()
            self.requests += 1
            wait_hint: float | None = None
            try:
                resp = await self._client.request(method, path, **kwargs)
            except httpx.TimeoutException as exc:
                last = TemporaryError(self.provider, f"timeout on {method} {path}: {exc!r}")
            except httpx.TransportError as exc:
                last = TemporaryError(self.provider, f"network error on {method} {path}: {exc!r}")
            else:
                if resp.status_code == 429:
                    last = RateLimitedError(self.provider, f"rate limited on {path}", status=429)
                    wait_hint = self._retry_after(resp)
                elif resp.status_code >= 500:
                    last = TemporaryError(
                        self.provider,
                        f"HTTP {resp.status_code} on {path}: {resp.text[:200]}",
                        status=resp.status_code,
                    )
                else:
                    return resp
            self._record(last)
            if attempt + 1 < self.retry.attempts:
                wait = self.retry.delay(attempt, wait_hint)
                if self._on_retry is not None:
                    self._on_retry(last, wait)
                await self._sleep(wait)
        assert last is not None
        raise last

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, then the decoded JSON body; a 4xx or a body that is not JSON raises
        :class:`RejectedError`."""
        resp = await self.request(method, path, **kwargs)
        if resp.status_code >= 400:
            err = RejectedError(
                self.provider,
                f"HTTP {resp.status_code} on {path}: {resp.text[:300]}",
                status=resp.status_code,
            )
            self._record(err)
            raise err
        try:
            return resp.json()
        except ValueError as exc:
            err2 = RejectedError(self.provider, f"non-JSON body on {path}: {exc}")
            self._record(err2)
            raise err2 from None

    def _record(self, err: Exception) -> None:
        self.failures += 1
        self.last_error = str(err)

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request_json("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request_json("POST", path, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
