"""The Telegram and webhook clients against httpx.MockTransport (only remote HTTP is mocked),
answering with the documented response shapes (tests/fixtures/telegram/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.http import RetryPolicy
from memesnipe.notify.telegram import TelegramClient, TelegramError
from memesnipe.notify.webhook import WebhookClient, WebhookError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
TOKEN = "7012345678:AAH-test-token"


def fixture(name: str) -> dict:
    return json.loads((FIX / name).read_text())


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, s: float) -> None:
        self.waits.append(s)


def telegram(handler, sleeps: Sleeps) -> TelegramClient:  # type: ignore[no-untyped-def]
    return TelegramClient(
        TOKEN, "-1001234567890", rate_per_s=1000, transport=httpx.MockTransport(handler), sleep=sleeps
    )


async def test_send_message_posts_chat_and_text_and_returns_the_sent_message() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=fixture("sendMessage_ok.json"))

    tg = telegram(handler, Sleeps())
    sent = await tg.send_message("KILL SWITCH ON by ops\nmanual")
    await tg.aclose()
    assert (sent.message_id, sent.chat_id, sent.date) == (4242, -1001234567890, 1767225600)
    (req,) = seen
    assert req.method == "POST" and req.url.path == f"/bot{TOKEN}/sendMessage"
    assert str(req.url).startswith("https://api.telegram.org/")
    body = json.loads(req.content)
    assert body["chat_id"] == "-1001234567890" and body["text"] == "KILL SWITCH ON by ops\nmanual"


async def test_flood_control_waits_retry_after_then_sends() -> None:
    answers = [
        httpx.Response(429, json=fixture("sendMessage_429.json")),
        httpx.Response(200, json=fixture("sendMessage_ok.json")),
    ]
    sleeps = Sleeps()
    tg = telegram(lambda req: answers.pop(0), sleeps)
    sent = await tg.send_message("hi")
    await tg.aclose()
    assert sent.message_id == 4242 and sleeps.waits == [7.0] and not answers


async def test_server_errors_are_retried_with_backoff_and_give_up_after_the_attempts() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    sleeps = Sleeps()
    tg = TelegramClient(
        TOKEN,
        "1",
        rate_per_s=1000,
        retry=RetryPolicy(attempts=3, base_delay_s=0.5, jitter=0),
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
    )
    with pytest.raises(TelegramError) as err:
        await tg.send_message("hi")
    await tg.aclose()
    assert len(calls) == 3 and sleeps.waits == [0.5, 1.0]
    assert err.value.code == 502 and TOKEN not in str(err.value)


async def test_a_permanent_error_is_raised_at_once_with_telegrams_description() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(403, json=fixture("sendMessage_403.json"))

    tg = telegram(handler, Sleeps())
    with pytest.raises(TelegramError, match="Forbidden: bot was blocked by the user") as err:
        await tg.send_message("hi")
    await tg.aclose()
    assert len(calls) == 1 and not err.value.retryable and err.value.code == 403


async def test_webhook_posts_json_and_honours_retry_after_on_429() -> None:
    seen: list[httpx.Request] = []
    answers = [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(204)]

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return answers.pop(0)

    sleeps = Sleeps()
    hook = WebhookClient(
        "https://hooks.example.org/memesnipe",
        headers={"Authorization": "Bearer s3cret"},
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
    )
    assert await hook.post({"id": "fill:1", "kind": "fill"}) == 204
    await hook.aclose()
    assert sleeps.waits == [3.0] and len(seen) == 2
    assert json.loads(seen[1].content) == {"id": "fill:1", "kind": "fill"}
    assert seen[1].headers["authorization"] == "Bearer s3cret"


async def test_webhook_4xx_is_permanent() -> None:
    hook = WebhookClient(
        "https://hooks.example.org/x", transport=httpx.MockTransport(lambda r: httpx.Response(404))
    )
    with pytest.raises(WebhookError) as err:
        await hook.post({"id": "x"})
    await hook.aclose()
    assert err.value.status == 404 and not err.value.retryable


async def test_a_network_failure_is_retried_and_the_token_never_reaches_the_error_or_the_log(caplog) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {req.url}", request=req)  # a message with the URL

    sleeps = Sleeps()
    tg = TelegramClient(
        TOKEN,
        "1",
        rate_per_s=1000,
        retry=RetryPolicy(attempts=2, base_delay_s=0.5, jitter=0),
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
    )
    with caplog.at_level("WARNING"), pytest.raises(TelegramError) as err:
        await tg.send_message("hi")
    await tg.aclose()
    assert err.value.retryable and err.value.code == 0 and sleeps.waits == [0.5]
    assert TOKEN not in str(err.value) and "<token>" in str(err.value)
    assert "retrying" in caplog.text and TOKEN not in caplog.text


async def test_webhook_gives_up_after_the_attempts_on_server_errors() -> None:
    calls: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(503, text="busy")

    sleeps = Sleeps()
    hook = WebhookClient(
        "https://hooks.example.org/x",
        retry=RetryPolicy(attempts=3, base_delay_s=0.5, jitter=0),
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
    )
    with pytest.raises(WebhookError) as err:
        await hook.post({"id": "x"})
    await hook.aclose()
    assert len(calls) == 3 and sleeps.waits == [0.5, 1.0]
    assert err.value.status == 503 and err.value.retryable
    assert str(calls[0].url) == "https://hooks.example.org/x"  # the URL as given, no trailing slash
