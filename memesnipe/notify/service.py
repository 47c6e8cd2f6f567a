"""Sends each notification once per channel: channels that already have it are skipped, a
channel that fails (after its client's retries) is counted and logged, and is tried again the
next time the same notification comes (e.g. Alertmanager's repeat, or a re-read record)."""

from __future__ import annotations

import logging
from typing import Protocol

from memesnipe.logs import ids
from memesnipe.metrics import NOTIFICATIONS
from memesnipe.notify.messages import Notification
from memesnipe.notify.sent import SentLog
from memesnipe.notify.telegram import TelegramClient
from memesnipe.notify.webhook import WebhookClient

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def send(self, n: Notification) -> None: ...

    async def aclose(self) -> None: ...


class TelegramChannel:
    def __init__(self, client: TelegramClient) -> None:
        self.client, self.name = client, client.name

    async def send(self, n: Notification) -> None:
        await self.client.send_message(n.message(), silent=not n.urgent and n.kind == "fill")

    async def aclose(self) -> None:
        await self.client.aclose()


class WebhookChannel:
    def __init__(self, client: WebhookClient) -> None:
        self.client, self.name = client, client.name

    async def send(self, n: Notification) -> None:
        await self.client.post(n.payload())

    async def aclose(self) -> None:
        await self.client.aclose()


class Notifier:
    def __init__(self, channels: list[Channel], sent: SentLog) -> None:
        self.channels, self.sent = channels, sent

    async def notify(self, n: Notification) -> dict[str, str]:
        """Outcome per channel: sent, skipped (sent before) or failed."""
        out: dict[str, str] = {}
        for ch in self.channels:
            key = f"{ch.name}|{n.id}"
            if key in self.sent:
                out[ch.name] = "skipped"
            else:
                try:
                    await ch.send(n)
                except Exception as exc:
                    out[ch.name] = "failed"
                    log.error(
                        "notify: %s not sent to %s: %s",
                        n.id,
                        ch.name,
                        exc,
                        extra=ids(notification_id=n.id, channel=ch.name, **_chain(n)),
                    )
                else:
                    self.sent.add(key)
                    out[ch.name] = "sent"
                    log.info(
                        "notify: %s sent to %s",
                        n.id,
                        ch.name,
                        extra=ids(notification_id=n.id, channel=ch.name, **_chain(n)),
                    )
            NOTIFICATIONS.labels(channel=ch.name, outcome=out[ch.name]).inc()
        return out

    async def aclose(self) -> None:
        for ch in self.channels:
            await ch.aclose()
        self.sent.close()


def _chain(n: Notification) -> dict[str, object]:
    return {k: n.data.get(k) for k in ("fill_id", "order_id", "instance_id", "mint") if n.data.get(k)}
