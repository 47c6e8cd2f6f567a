"""A Faust table whose changelog writes can be awaited.

Faust sends a table write's changelog record through its producer buffer (``send_soon``) and
commits input offsets on a timer after ``producer.flush()``. That flush gives up after 0.1 s
without progress (``ProducerBuffer.flush_atmost``), so under load an input offset can be committed
while the state that reflects it is still in the buffer: a crash then restores the older state
and resumes after inputs it never applied. ``DurableTable`` records the future of every changelog
record it sends; ``memesnipe.tables.partitioned.write_keys`` awaits them before the batch is
acknowledged, so a committed offset never runs ahead of its state.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust


class DurableTable(faust.Table):  # type: ignore[misc]
    """``faust.Table`` plus :meth:`flush_changelog`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unflushed: list[asyncio.Future[Any]] = []

    def send_changelog(self, *args: Any, **kwargs: Any) -> Any:
        fut = super().send_changelog(*args, **kwargs)
        self._unflushed.append(fut)
        return fut

    async def flush_changelog(self) -> None:
        """Wait until the broker has every changelog record sent so far; raise if one failed.

        ``asyncio.wait``, not ``gather``: when the agent is cancelled (worker shutdown) the records
        are still delivered, and cancelling their futures would only make Faust's delivery callback
        fail on a cancelled future (``InvalidStateError`` logged for each)."""
        while self._unflushed:
            futs, self._unflushed = self._unflushed, []
            await asyncio.wait(futs)
            for fut in futs:
                fut.result()
