"""A generic JSON webhook: ``POST <url>`` with the notification as a JSON object.

Any 2xx is success. 429 (honouring ``Retry-After`` seconds), 5xx and network failures are
retried with backoff by the one HTTP seam (:class:`memesnipe.connectors.http.HttpClient`); other
4xx are permanent. The body carries ``id`` (stable: the receiver
can deduplicate), ``kind``, ``title``, ``text`` and ``data``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from memesnipe.connectors.errors import TemporaryError
from memesnipe.connectors.http import HttpClient, RetryPolicy
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
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("MEMESNIPE_NOTIFY__WEBHOOK_URL must be an http(s) URL")
        self.url = url
        self._http = HttpClient(
            self.name,
            "",  # the URL is absolute: used as given (a base URL would gain a trailing slash)
            headers=headers,
            timeout_s=timeout_s,
            rate_per_s=100.0,
            burst=100,
            retry=retry or RetryPolicy(attempts=5, base_delay_s=0.5, max_delay_s=60.0),
            transport=transport,
            sleep=sleep,
            on_retry=self._retrying,
        )

    def _retrying(self, err: TemporaryError, wait_s: float) -> None:
        NOTIFY_RETRIES.labels(channel=self.name).inc()
        log.warning("webhook: %s; retrying in %.1fs", err, wait_s)

    async def post(self, payload: dict[str, Any]) -> int:
        try:
            resp = await self._http.request("POST", self.url, json=payload)
        except TemporaryError as exc:  # retries ran out
            raise WebhookError(exc.status or 0, str(exc), retryable=True) from None
        if not resp.is_success:
            raise WebhookError(resp.status_code, resp.text[:200], retryable=False)
        return resp.status_code

    async def aclose(self) -> None:
        await self._http.aclose()
