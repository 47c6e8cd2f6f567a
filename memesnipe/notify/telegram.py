"""A Telegram Bot API client for ``sendMessage`` (https://core.telegram.org/bots/api#sendmessage).

Requests are ``POST https://api.telegram.org/bot<token>/sendMessage`` with a JSON body
(``chat_id``, ``text``, ``disable_web_page_preview``). Every answer is a JSON object with a
Boolean ``ok``: on success the sent Message is in ``result``; on failure ``description`` says
why, ``error_code`` carries the HTTP-like code and ``parameters.retry_after`` (flood control,
code 429) the seconds to wait. 429 and 5xx / network failures are retried by the one HTTP seam
(:class:`memesnipe.connectors.http.HttpClient`, waiting ``retry_after`` when given); other errors
(400 bad chat id, 401 bad token, 403 bot blocked) are permanent and raised at once. The token is
never logged or put in an error message (the seam names only the path, ``/sendMessage``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from memesnipe.connectors.errors import TemporaryError
from memesnipe.connectors.http import HttpClient, RetryPolicy
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
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not token or not chat_id:
            raise ValueError("telegram needs MEMESNIPE_NOTIFY__TELEGRAM_BOT_TOKEN and ..._TELEGRAM_CHAT_ID")
        self.chat_id = chat_id
        self._token = token
        self._http = HttpClient(
            self.name,
            f"{base_url.rstrip('/')}/bot{token}",
            timeout_s=timeout_s,
            rate_per_s=rate_per_s,
            burst=1,
            retry=retry or RetryPolicy(attempts=5, base_delay_s=0.5, max_delay_s=60.0),
            transport=transport,
            sleep=sleep,
            retry_after=_retry_after,
            on_retry=self._retrying,
        )

    def _retrying(self, err: TemporaryError, wait_s: float) -> None:
        NOTIFY_RETRIES.labels(channel=self.name).inc()
        log.warning("telegram: %s; retrying in %.1fs", self._redact(err), wait_s)

    def _redact(self, err: Exception) -> str:
        """The seam's message names the path only; a library message might carry the URL."""
        return str(err).replace(self._token, "<token>")

    async def send_message(self, text: str, *, silent: bool = False) -> SentMessage:
        body = {
            "chat_id": self.chat_id,
            "text": text[:MAX_TEXT],
            "disable_web_page_preview": True,
            "disable_notification": silent,
        }
        try:
            resp = await self._http.request("POST", "/sendMessage", json=body)
        except TemporaryError as exc:  # retries ran out
            raise TelegramError(exc.status or 0, self._redact(exc), retryable=True) from None
        data = _json_object(resp)
        if data is None:
            raise TelegramError(resp.status_code, "answer is not a JSON object", retryable=False)
        if data.get("ok") is True and isinstance(data.get("result"), dict):
            msg = data["result"]
            chat = msg.get("chat") or {}
            return SentMessage(int(msg["message_id"]), chat.get("id", self.chat_id), int(msg.get("date", 0)))
        code = int(data.get("error_code") or resp.status_code)
        raise TelegramError(code, str(data.get("description") or "no description"), retryable=False)

    async def aclose(self) -> None:
        await self._http.aclose()


def _json_object(resp: httpx.Response) -> dict[str, Any] | None:
    try:
        data = resp.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _retry_after(resp: httpx.Response) -> float | None:
    """Flood control's wait: ``parameters.retry_after`` of a 429 answer (1 s when absent)."""
    params = (_json_object(resp) or {}).get("parameters")
    value = params.get("retry_after") if isinstance(params, dict) else None
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
