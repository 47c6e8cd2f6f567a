"""A Telegram Bot API client for ``sendMessage`` (https://core.telegram.org/bots/api#sendmessage).

Requests are ``POST https://api.telegram.org/bot<token>/sendMessage`` with a JSON body
(``chat_id``, ``text``, ``disable_web_page_preview``). Every answer is a JSON object with a
Boolean ``ok``: on success the sent Message is in ``result``; on failure ``description`` says
why, ``error_code`` carries the HTTP-like code and ``parameters.retry_after`` (flood control,
code 429) the seconds to wait. 429 and 5xx / network failures are retried (waiting
``retry_after`` when given); other errors (400 bad chat id, 401 bad token, 403 bot blocked) are
permanent and raised at once. The token is never logged or put in an error message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from memesnipe.connectors.http import RetryPolicy, TokenBucket
from memesnipe.metrics import NOTIFY_RETRIES

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # "1-4096 characters after entities parsing"


class TelegramError(RuntimeError):
    """``sendMessage`` failed; ``retryable`` says whether a later attempt may succeed."""

    def __init__(
        self, code: int, description: str, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(f"telegram sendMessage failed ({code}): {description}")
        self.code, self.description = code, description
        self.retryable, self.retry_after = retryable, retry_after


@dataclass(frozen=True)
class SentMessage:
    message_id: int
    chat_id: int | str
    date: int


class TelegramClient:
    """``await send_message(text)`` to one chat, rate limited and retried."""

    name = "telegram"

    def __init__(
        self,
        token: str,
        chat_id: str,
        *,
        base_url: str = "https://api.telegram.org",
        timeout_s: float = 10.0,
        rate_per_s: float = 1.0,
        retry: RetryPolicy | None = None,
        max_retry_after_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not token or not chat_id:
            raise ValueError("telegram needs MEMESNIPE_NOTIFY__TELEGRAM_BOT_TOKEN and ..._TELEGRAM_CHAT_ID")
        self.chat_id = chat_id
        self._url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport, trust_env=transport is None)
        self._bucket = TokenBucket(rate_per_s, burst=1)
        self.retry = retry or RetryPolicy(attempts=5, base_delay_s=0.5, max_delay_s=30.0)
        self.max_retry_after_s = max_retry_after_s
        self._sleep = sleep

    async def send_message(self, text: str, *, silent: bool = False) -> SentMessage:
        body = {
            "chat_id": self.chat_id,
            "text": text[:MAX_TEXT],
            "disable_web_page_preview": True,
            "disable_notification": silent,
        }
        last: TelegramError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                NOTIFY_RETRIES.labels(channel=self.name).inc()
                assert last is not None
                wait = (
                    min(last.retry_after, self.max_retry_after_s)
                    if last.retry_after is not None
                    else self.retry.delay(attempt - 1)
                )
                log.warning("telegram: %s; retrying in %.1fs", last.description, wait)
                await self._sleep(wait)
            await self._bucket.acquire()
            try:
                return await self._once(body)
            except TelegramError as exc:
                if not exc.retryable:
                    raise
                last = exc
        assert last is not None
        raise last

    async def _once(self, body: dict[str, Any]) -> SentMessage:
        try:
            resp = await self._http.post(self._url, json=body)
        except httpx.HTTPError as exc:
            raise TelegramError(0, f"{type(exc).__name__}: network error", retryable=True) from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TelegramError(
                resp.status_code, "answer is not a JSON object", retryable=resp.status_code >= 500
            )
        if data.get("ok") is True and isinstance(data.get("result"), dict):
            msg = data["result"]
            chat = msg.get("chat") or {}
            return SentMessage(int(msg["message_id"]), chat.get("id", self.chat_id), int(msg.get("date", 0)))
        code = int(data.get("error_code") or resp.status_code)
        desc = str(data.get("description") or "no description")
        params = data.get("parameters") or {}
        retry_after = params.get("retry_after") if isinstance(params, dict) else None
        if code == 429:
            return self._raise(TelegramError(code, desc, True, float(retry_after or 1)))
        return self._raise(TelegramError(code, desc, retryable=code >= 500))

    @staticmethod
    def _raise(exc: TelegramError) -> SentMessage:
        raise exc

    async def aclose(self) -> None:
        await self._http.aclose()
