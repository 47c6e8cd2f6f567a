"""Wire checks for the topics the worker reads only through global views.

``allocations``, ``order_updates``, ``positions`` and ``killswitch`` are folded by every
worker's group-less views (``tables.views``; the kill switch by ``core.control.KillFold``, where an
unreadable record means ON), which cannot dead-letter a refused record (every worker would, once
each). This agent reads the four topics in the worker's consumer group,
one consumer per partition, and dead-letters each refused record once, with the reason, so every
topic the worker consumes has a stage that reports its hostile input (issue #13).
"""

from __future__ import annotations

from typing import Any

from memesnipe.agents.channels import names
from memesnipe.agents.stage import Stage
from memesnipe.app import app
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


stage = Stage(CONSUMER, CHECKED, latency=False)


@app.agent(source, name="boundary_check")
async def check_view_topics(stream: Any) -> None:
    """Decode every record (nothing else); refused ones go to the dead-letter topic."""
    async for events in stage.batches(stream):
        await stage.decode(events)
