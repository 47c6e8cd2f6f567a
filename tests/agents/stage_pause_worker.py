"""A worker running the risk gate alone, paused in the middle of its first batch that writes
state, until a rebalance has changed its assignment and the test says go on (a ``resume`` file in
``MEMESNIPE_TEST_PAUSE_DIR``): the rebalance falls between the batch's intake and its table
write, deterministically. ``python -m tests.agents.stage_pause_worker``."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from memesnipe.app import app

log = logging.getLogger("stage_pause_worker")
PAUSE_DIR = Path(os.environ["MEMESNIPE_TEST_PAUSE_DIR"])
MIN_KEYS = int(os.environ.get("MEMESNIPE_TEST_PAUSE_MIN_KEYS", "1"))  # a batch this wide at least
_paused = {"done": False}


async def pause_once(changes: Any) -> None:
    """The first time a batch writes state: wait for a new assignment and the test's go."""
    if _paused["done"] or len(changes) < MIN_KEYS:
        return
    _paused["done"] = True
    before = set(app.consumer.assignment())
    log.warning("stage paused mid-batch: %d keys to write, %d partitions owned", len(changes), len(before))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if set(app.consumer.assignment()) != before and (PAUSE_DIR / "resume").exists():
            break
        await asyncio.sleep(0.2)
    log.warning("stage resumed: %d partitions owned now", len(app.consumer.assignment()))


def install() -> None:
    """Pause before the write's ownership check (the mechanism's ``Stage.write``) or, on code
    without the mechanism, before the gate's own ``write_keys``."""
    try:
        from memesnipe.agents.stage import Stage
    except ImportError:
        import memesnipe.agents.risk_gate as gate

        orig_fn = gate.write_keys

        async def paused_fn(table: Any, changes: Any) -> None:
            await pause_once(changes)
            await orig_fn(table, changes)

        gate.write_keys = paused_fn  # type: ignore[assignment]
        return
    orig = Stage.write

    async def paused(self: Stage, table: Any, changes: Any) -> None:
        await pause_once(changes)
        await orig(self, table, changes)

    Stage.write = paused  # type: ignore[method-assign]


if __name__ == "__main__":
    app.conf.autodiscover = ["memesnipe.agents.risk_gate"]
    app.conf.origin = None
    app.discover()
    app.conf.autodiscover = False
    install()
    sys.argv = ["memesnipe", "worker", "-l", "info", "--without-web"]
    app.main()
