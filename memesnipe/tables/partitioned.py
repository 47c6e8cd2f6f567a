"""Write Faust table keys under the partition of the event that changed them.

Faust takes a table write's changelog partition (and its RocksDB shard) from the *current
event*. An agent that processes a batch with ``take_events`` and writes state once per batch
must therefore write each key while the current event is one from that key's partition;
otherwise, after a rebalance, the key would be restored on the wrong worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.types import EventT

from memesnipe.kafka_internals.events import as_current_event


async def write_keys(table: Any, changes: Mapping[Any, tuple[EventT, Any]]) -> None:
    """Set ``table[key] = value`` for each key, under the event that last changed it, and wait
    until the broker has the changelog records (``tables.durable``): the caller acknowledges its
    inputs only after this returns, so no offset is committed ahead of the state it produced."""
    for key, (event, value) in changes.items():
        with as_current_event(event):
            table[key] = value
    flush = getattr(table, "flush_changelog", None)
    if flush is not None:
        await flush()
