"""Wire checks for the topics the worker reads only through global views.

``allocations``, ``order_updates``, ``positions`` and ``killswitch`` are folded by every
worker's group-less views (``tables.views``; the kill switch by ``core.control.KillFold``, where an
unreadable record means ON), which cannot dead-letter a refused record (every worker would, once
each). This agent reads the four topics in the worker's consumer group,
one consumer per partition, and dead-letters each refused record once, with the reason, so every
topic the worker consumes has a stage that reports its hostile input (issue #13).
"""

from __future__ import annotations

import time
from typing import Any

from faust.types import EventT

from memesnipe.agents.batching import batches, decode_batch, short_topic
from memesnipe.agents.channels import names
from memesnipe.app import app, settings
from memesnipe.metrics import BATCH_SECONDS, EVENTS_IN
from memesnipe.streams.control import KillSwitch, StrategyAllocation
from memesnipe.streams.trading import OrderUpdate, PositionUpdate

CONSUMER = "boundary"
CHECKED: dict[str, type] = {
    "allocations": StrategyAllocation,
    "order_updates": OrderUpdate,
    "positions": PositionUpdate,
    "killswitch": KillSwitch,
}

source = app.topic(
    *(names(t) for t in CHECKED),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)


@app.agent(source, name="boundary_check")
async def check_view_topics(stream: Any) -> None:
    """Decode every record (nothing else); refused ones go to the dead-letter topic."""
    async for events in batches(stream, settings.kafka.batch_size, settings.kafka.batch_within_s):
        t0 = time.perf_counter()
        by_topic: dict[str, list[EventT]] = {}
        for ev in events:
            by_topic.setdefault(short_topic(ev.message.topic), []).append(ev)
        for short, evs in by_topic.items():
            EVENTS_IN.labels(topic=short).inc(len(evs))
            await decode_batch(evs, CHECKED[short], CONSUMER)
        BATCH_SECONDS.labels(stage=CONSUMER).observe(time.perf_counter() - t0)
