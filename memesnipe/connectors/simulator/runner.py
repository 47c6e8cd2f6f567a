"""Runs the simulator onto Kafka at a configured rate (or as fast as possible)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.simulator.model import MarketSimulator
from memesnipe.settings import Settings

log = logging.getLogger(__name__)


def simulator_from_settings(settings: Settings) -> MarketSimulator:
    s = settings.simulator
    start = datetime.fromisoformat(s.start) if s.start else datetime.now(UTC).replace(microsecond=0)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return MarketSimulator(s.seed, s.mints, start, s.tick_s)


async def run_simulator(
    settings: Settings, *, count: int | None = None, rate_per_s: float | None = None, fast: bool = False
) -> int:
    """Publish ``count`` events (forever when None) at ``rate_per_s``; returns events sent."""
    sim = simulator_from_settings(settings)
    rate = rate_per_s or settings.simulator.rate_per_s
    sent = 0
    started = time.monotonic()
    async with Publisher(settings) as pub:
        for event in sim.events():
            await pub.publish_event(event)
            sent += 1
            if count is not None and sent >= count:
                break
            if not fast:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0.01:
                    await pub.flush()
                    await asyncio.sleep(ahead)
            if sent % 10_000 == 0:
                log.info("simulator: %d events sent (event time %s)", sent, sim.now().isoformat())
    return sent
