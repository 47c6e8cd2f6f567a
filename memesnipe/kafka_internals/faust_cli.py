"""Faust's own CLI on this app: ``faust -A memesnipe.app agents`` lists every agent.

faust-streaming 0.15.3's ``agents`` command names an agent's topic with
``channel.get_topic_name()`` and only expects ``NotImplementedError`` (an unnamed channel); our
stages read several topics in one stream (``app.topic(a, b, ...)``), whose ``get_topic_name``
raises ``ValueError`` ("Topic with multiple topic names cannot be identified"), so the command
crashed. The listing now shows the topics joined. Only the CLI's display changes: sending still
refuses a multi-topic channel. Re-check on a Faust upgrade (``pins.PRIVATE_USES``,
tests/kafka_internals/test_pins.py).
"""

from __future__ import annotations

from typing import Any

from faust.cli import agents as _agents_cli


def _maybe_topic(self: Any, agent: Any) -> str | None:
    try:
        return str(agent.channel.get_topic_name())
    except NotImplementedError:
        return None
    except ValueError:
        return ",".join(sorted(getattr(agent.channel, "topics", ()) or ())) or None


def install() -> None:
    """Idempotent; called when the app module loads."""
    _agents_cli.agents._maybe_topic = _maybe_topic  # type: ignore[method-assign]
