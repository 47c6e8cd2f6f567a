"""A generic JSON webhook: ``POST <url>`` with the notification as a JSON object.

Any 2xx is success. 429 (honouring ``Retry-After`` seconds), 5xx and network failures are
retried with backoff; other 4xx are permanent. The body carries ``id`` (stable: the receiver
can deduplicate), ``kind``, ``title``, ``text`` and ``data``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from memesnipe.connectors.http import RetryPolicy
from memesnipe.metrics import NOTIFY_RETRIES

log = logging.getLogger(__name__)


class WebhookError(RuntimeError):
    def __init__(self, status: int, detail: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(f"webhook POST failed ({status}): {detail}")
        self.status, self.retryable, self.retry_after = status, retryable, retry_after


class WebhookClient:
    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        max_retry_after_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("MEMESNIPE_NOTIFY__WEBHOOK_URL must be an http(s) URL")
        self.url = url
        self._http = httpx.AsyncClient(
            timeout=timeout_s, transport=transport, trust_env=transport is None, headers=headers or {}
        )
        self.retry = retry or RetryPolicy(attempts=5, base_delay_s=0.5, max_delay_s=30.0)
        self.max_retry_after_s = max_retry_after_s
        self._sleep = sleep

    async def post(self, payload: dict[str, Any]) -> int:
        last: WebhookError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                NOTIFY_RETRIES.labels(channel=self.name).inc()
                assert last is not None
                wait = (
                    min(last.retry_after, self.max_retry_after_s)
                    if last.retry_after is not None
                    else self.retry.delay(attempt - 1)
                )
                log.warning("webhook: %s; retrying in %.1fs", last, wait)
                await self._sleep(wait)
            try:
                resp = await self._http.post(self.url, json=payload)
            except httpx.HTTPError as exc:
                last = WebhookError(0, f"{type(exc).__name__}: network error", True)
                continue
            if resp.is_success:
                return resp.status_code
            retry_after = _seconds(resp.headers.get("retry-after"))
            err = WebhookError(
                resp.status_code,
                resp.text[:200],
                resp.status_code == 429 or resp.status_code >= 500,
                retry_after,
            )
            if not err.retryable:
                raise err
            last = err
        assert last is not None
        raise last

    async def aclose(self) -> None:
        await self._http.aclose()


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to the backoff
