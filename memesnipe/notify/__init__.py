"""Notifications of fills, kill-switch changes and alerts to Telegram and a generic webhook.

``memesnipe notify`` (:mod:`memesnipe.cli.notify`) consumes ``fills`` and ``killswitch`` in its
own consumer group and receives Alertmanager's webhook; :class:`Notifier` sends each
notification once per channel (a small file of sent ids survives restarts).
"""

from memesnipe.notify.messages import Notification, from_alertmanager, from_fill, from_kill_switch
from memesnipe.notify.sent import SentLog
from memesnipe.notify.service import Channel, Notifier
from memesnipe.notify.telegram import TelegramClient, TelegramError
from memesnipe.notify.webhook import WebhookClient, WebhookError

__all__ = [
    "Channel",
    "Notification",
    "Notifier",
    "SentLog",
    "TelegramClient",
    "TelegramError",
    "WebhookClient",
    "WebhookError",
    "from_alertmanager",
    "from_fill",
    "from_kill_switch",
]
