"""The generic live-connector loop: fetch (I/O) -> parse (pure) -> publish, on a fixed cadence.

Each provider package supplies a :class:`Connector`: ``fetch`` returns the raw payloads it got
(with their fetch time), ``parse`` turns one payload into market events or raises
:class:`ParseError`. The loop publishes events keyed by mint, sends unparseable payloads to the
dead-letter topic with the reason, keeps per-source health metrics, and survives provider
outages (the HTTP seam already retried; a cycle that still fails is counted and skipped).
A refused API key (401/403) stops the connector: retrying cannot fix it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from memesnipe import metrics
from memesnipe.connectors.errors import MissingApiKeyError, ParseError, ProviderError, RejectedError
from memesnipe.streams.market import MarketEvent

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Fetched:
    """One raw provider payload, when we got it, and what it was about (for dead letters)."""

    payload: Any
    fetched_at: datetime
    key: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


class Connector(ABC):
    """A live source. ``topic`` names where its dead letters say the payload was headed."""

    name: str = ""
    topic: str = ""
    interval_s: float = 10.0

    @abstractmethod
    async def fetch(self) -> list[Fetched]:
        """Do the I/O for one cycle; raise ProviderError subclasses on failure."""

    @abstractmethod
    def parse(self, item: Fetched) -> list[MarketEvent]:
        """Raw payload -> events (zero or more); raise ParseError on an undocumented shape."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients."""


class EventSink(Protocol):
    async def publish_event(self, event: MarketEvent) -> None: ...

    async def dead_letter(
        self, source_topic: str, key: str | None, payload: Any, reason: str, consumer: str
    ) -> None: ...

    async def flush(self) -> None: ...


@dataclass
class RunStats:
    cycles: int = 0
    events: int = 0
    dead_letters: int = 0
    fetch_errors: int = 0


def now_utc() -> datetime:
    return datetime.now(UTC)


def require_key(value: str, setting: str, provider: str) -> str:
    """Stop start-up with a message naming the setting when a needed API key is empty."""
    if not value.strip():
        raise MissingApiKeyError(setting, provider)
    return value.strip()


def csv_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def pairs(value: str, sep: str = ",") -> dict[str, str]:
    """``"a=b,c=d"`` -> ``{"a": "b", "c": "d"}``; a malformed entry is a clear error."""
    out: dict[str, str] = {}
    for part in value.split(sep):
        if not part.strip():
            continue
        k, eq, v = part.partition("=")
        if not eq or not k.strip() or not v.strip():
            raise ValueError(f"expected key=value, got {part.strip()!r}")
        out[k.strip()] = v.strip()
    return out


def validate(model: type[M], raw: Any, provider: str) -> M:
    """Validate a raw payload against its documented model; ParseError says what was wrong."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ParseError(provider, f"{model.__name__} does not match the documented shape: {errs}") from None


def epoch_s(ts: float | int) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


async def run_cycle(connector: Connector, sink: EventSink, stats: RunStats) -> None:
    """One fetch -> parse -> publish pass (also what tests drive directly)."""
    src = connector.name
    t0 = time.perf_counter()
    try:
        items = await connector.fetch()
    except RejectedError as exc:
        metrics.CONNECTOR_ERRORS.labels(src, "rejected").inc()
        if exc.status in (401, 403):
            raise SystemExit(f"memesnipe: {src} refused our credentials ({exc}); check its API key") from None
        stats.fetch_errors += 1
        log.warning("%s: request refused: %s", src, exc)
        return
    except ProviderError as exc:
        metrics.CONNECTOR_ERRORS.labels(src, "fetch").inc()
        stats.fetch_errors += 1
        log.warning("%s: fetch failed after retries: %s", src, exc)
        return
    finally:
        metrics.CONNECTOR_FETCH_SECONDS.labels(src).observe(time.perf_counter() - t0)
    for item in items:
        try:
            events = connector.parse(item)
        except ParseError as exc:
            metrics.CONNECTOR_ERRORS.labels(src, "parse").inc()
            metrics.DEAD_LETTERS.labels(connector.topic).inc()
            stats.dead_letters += 1
            log.warning("%s: unusable payload -> dead letter: %s", src, exc)
            await sink.dead_letter(connector.topic, item.key, item.payload, str(exc), f"connector:{src}")
            continue
        for ev in events:
            await sink.publish_event(ev)
            metrics.CONNECTOR_EVENTS.labels(src, str(type(ev).__struct_config__.tag)).inc()
        stats.events += len(events)
    await sink.flush()
    metrics.CONNECTOR_LAST_SUCCESS.labels(src).set(time.time())
    stats.cycles += 1


async def run_connector(
    connector: Connector,
    sink: EventSink,
    *,
    stop: asyncio.Event | None = None,
    max_cycles: int | None = None,
) -> RunStats:
    """Poll at ``connector.interval_s`` (fixed rate, no drift) until ``stop`` is set."""
    stop = stop or asyncio.Event()
    stats = RunStats()
    next_at = time.monotonic()
    n = 0
    try:
        while not stop.is_set() and (max_cycles is None or n < max_cycles):
            await run_cycle(connector, sink, stats)
            n += 1
            next_at += connector.interval_s
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (slow provider): do not burst to catch up
                next_at = time.monotonic()
                delay = 0.0
            if max_cycles is not None and n >= max_cycles:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    finally:
        await connector.aclose()
    return stats


def batched(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
