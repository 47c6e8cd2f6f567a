"""Entry point for integration tests: a Faust worker that loads ONLY the strategy runner agent.

``python -m tests.agents.test_strategy_runner_worker worker -l info`` — the runner's tests then
do not depend on other pipeline stages being present. (No tests in this module.)

Test hooks, by environment variable:
- ``TEST_SEEK_DELAY_S``: every seek to the committed offsets takes that much longer (a slow
  broker), the window in which Faust's own recovery order dropped records
  (memesnipe.kafka_internals.recovery).
- ``TEST_FAUST_RECOVERY_ORDER=1``: Faust's original recovery steps, to show that defect by hand.
- ``TEST_WATCHDOG_S``: diagnostics; log, that often, where each price partition's records are
  (fetch position, read and committed offsets, queues) and which fetched batches Faust dropped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any


def _slow_seek(delay_s: float) -> None:
    from faust.transport.consumer import Consumer

    original = Consumer.perform_seek

    async def perform_seek(self: Any) -> None:
        await asyncio.sleep(delay_s)
        await original(self)

    Consumer.perform_seek = perform_seek  # type: ignore[method-assign]


def _faust_recovery_order() -> None:
    from faust.tables.recovery import Recovery
    from faust.transport.drivers import aiokafka as faust_aiokafka

    from memesnipe.kafka_internals.recovery import OrderedRecovery, SnapshotConsumer

    OrderedRecovery._resume_streams = Recovery._resume_streams  # type: ignore[method-assign]
    OrderedRecovery.on_recovery_completed = Recovery.on_recovery_completed  # type: ignore[method-assign]
    SnapshotConsumer.perform_seek = faust_aiokafka.Consumer.perform_seek  # type: ignore[method-assign]


def _short(tp: Any) -> str:
    return f"{tp.topic.rsplit('.', 1)[-1]}/{tp.partition}"


def _watchdog(every_s: float) -> None:
    from faust.transport.consumer import Consumer

    from memesnipe.app import app

    log = logging.getLogger("watchdog")
    fetch = Consumer._wait_next_records

    async def wait_next_records(self: Any, timeout: float) -> Any:
        records, active = await fetch(self, timeout)
        dropped = [_short(tp) for tp in records or () if active is not None and tp not in active]
        if dropped:
            log.warning("fetched while counted paused (Faust drops them): %s", dropped)
        return records, active

    Consumer._wait_next_records = wait_next_records  # type: ignore[method-assign]

    @app.timer(every_s)
    async def _dump() -> None:
        c: Any = app.consumer
        try:
            states = c._thread._ensure_consumer()._subscription.subscription.assignment._tp_state
        except AttributeError:
            states = {}
        lines = []
        for tp in sorted(c.assignment()):
            if tp.topic.endswith(".price"):
                st = states.get(tp)
                queues = [ch.queue.qsize() for ch in app.topics._tp_index.get(tp, ())]
                lines.append(
                    f"{_short(tp)} position={getattr(st, '_position', None)} read={c._read_offset.get(tp)} "
                    f"committed={c._committed_offset.get(tp)} queues={queues}"
                )
        log.warning(
            "generation %s flow %s\n  %s", app.consumer_generation_id, c.flow_active, "\n  ".join(lines)
        )


if __name__ == "__main__":
    if os.environ.get("TEST_SEEK_DELAY_S"):
        _slow_seek(float(os.environ["TEST_SEEK_DELAY_S"]))
    if os.environ.get("TEST_FAUST_RECOVERY_ORDER"):
        _faust_recovery_order()
    if os.environ.get("TEST_WATCHDOG_S"):
        _watchdog(float(os.environ["TEST_WATCHDOG_S"]))

    from memesnipe import app as app_module

    only = ["memesnipe.agents.strategy_runner"]
    app_module.AGENT_MODULES[:] = only  # the app's conf may hold this very list
    app = app_module.app
    app.conf.autodiscover = only
    # Faust also scans the origin package for agents (and its CLI sets one when it is None)
    app.conf.origin = only[0]
    sys.argv = ["memesnipe", *sys.argv[1:]]
    app.main()
