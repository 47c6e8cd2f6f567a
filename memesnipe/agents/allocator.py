"""Meta-allocator: ledger marks -> per-strategy returns -> rolling Sharpe -> StrategyAllocation.

Consumes the single-partition ledger topic into ``ledger_strategy[instance_id]`` (event time:
a period closes for every strategy when any mark crosses a ``risk.period_s`` boundary, quiet
strategies recording a zero return). Allocations are published to ``allocations`` (compacted,
key = instance_id):

- when a period closes (new returns),
- every ``risk.allocation_interval_s`` of wall-clock time,
- when a strategy spec appears or changes (``specs`` topic, read as a global view).

Only the worker that owns the ledger partition publishes (it alone has the table). A spec with
no ledger yet is a *new* strategy and gets the exploration weight, so the gate can size its
first orders; a disabled spec gets 0. A strategy its own returns starve is judged on its shadow
returns (``core.shadow``: own + hypothetical PnL of the entries refused for zero allocation),
so it is revived when they recover (reason ``shadow returns: ...``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiokafka import TopicPartition
from faust.types import EventT

from memesnipe import metrics
from memesnipe.agents.channels import names, topic
from memesnipe.agents.stage import Stage
from memesnipe.app import app, settings
from memesnipe.core.allocator import SharpeAllocator, StrategyStats, pick_returns
from memesnipe.core.ledger import StrategyLedger
from memesnipe.core.sharpe import rolling_sharpe
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.control import StrategyAllocation, StrategySpec
from memesnipe.streams.ledger import LedgerMark
from memesnipe.tables.ledger import LEDGER_TOPIC, dump, ledger_strategy, ledger_topic, load_strategy
from memesnipe.tables.views import GlobalView, checked_latest_by_key

log = logging.getLogger(__name__)

CONSUMER = "allocator"
stage = Stage(CONSUMER, {"ledger": LedgerMark}, latency=False)
R = settings.risk
ALLOCATOR = SharpeAllocator(
    max_weight=R.max_strategy_weight,
    max_total=R.max_total_weight,
    exploration_weight=R.exploration_weight,
    min_samples=R.sharpe_min_samples,
)


class _Specs:
    """Latest spec per instance (global view of ``specs``); flags a change for the publisher."""

    def __init__(self) -> None:
        self.specs: dict[str, StrategySpec] = {}
        self.changed = False
        store = checked_latest_by_key(self.specs, StrategySpec, "specs")

        def on_spec(key: bytes | None, value: bytes | None, partition: int, offset: int, ts: int) -> None:
            store(key, value, partition, offset, ts)
            self.changed = True

        self.view = GlobalView(settings.kafka.bootstrap_servers, {names("specs"): on_spec})


specs = _Specs()
_state = {"last_publish": 0.0, "started": False}


def compute(
    ledgers: dict[str, StrategyLedger], spec_map: dict[str, StrategySpec]
) -> list[StrategyAllocation]:
    """Allocations for every known instance (ledger or spec). Pure given its inputs."""
    stats: dict[str, StrategyStats] = {}
    ests = {}
    shadowed: set[str] = set()

    def estimate(returns: list[float]) -> Any:
        return rolling_sharpe(
            returns, period_s=R.period_s, window=R.sharpe_window, min_samples=R.sharpe_min_samples
        )

    for inst in sorted(set(ledgers) | set(spec_map)):
        led = ledgers.get(inst)
        returns, shadow = pick_returns(
            led.returns if led else [],
            led.shadow_returns if led else [],
            lambda r: (lambda e: (e.shrunk, e.samples))(estimate(r)),
            R.sharpe_min_samples,
        )
        est = estimate(returns)
        if shadow:
            shadowed.add(inst)
        spec = spec_map.get(inst)
        stats[inst] = StrategyStats(est.shrunk, est.samples, spec.enabled if spec is not None else True)
        ests[inst] = est
    now = utcnow()
    out = []
    for inst, w in ALLOCATOR.allocate(stats).items():
        out.append(
            StrategyAllocation(
                instance_id=inst,
                weight=w.weight,
                capital_lamports=int(w.weight * R.capital_lamports),
                sharpe=ests[inst].sharpe,
                samples=ests[inst].samples,
                ts=now,
                reason=f"shadow returns: {w.reason}" if inst in shadowed else w.reason,
            )
        )
    return out


def _owns_ledger() -> bool:
    try:
        return TopicPartition(LEDGER_TOPIC, 0) in app.consumer.assignment()
    except Exception:  # consumer not started yet
        return False


def _all_ledgers() -> dict[str, StrategyLedger]:
    return {k.decode(): load_strategy(v) for k, v in ledger_strategy.items() if v is not None}


async def publish(ledgers: dict[str, StrategyLedger], why: str) -> None:
    allocs = compute(ledgers, dict(specs.specs))
    for a in allocs:
        await topic("allocations").send(key=a.instance_id.encode(), value=encode(a))
        metrics.ALLOCATION.labels(strategy=a.instance_id).set(a.weight)
        metrics.SHARPE.labels(strategy=a.instance_id).set(a.sharpe)
    for inst, led in ledgers.items():
        metrics.PNL_REALIZED.labels(strategy=inst).set(led.realized)
        metrics.PNL_UNREALIZED.labels(strategy=inst).set(led.unrealized)
    _state["last_publish"] = time.monotonic()
    if allocs:
        log.info("allocations (%s): %s", why, ", ".join(f"{a.instance_id}={a.weight:.4f}" for a in allocs))


@app.timer(1.0, name="allocator_schedule")
async def allocator_schedule() -> None:
    """Publish on the wall-clock schedule and on spec changes, from the ledger's owner only."""
    if not _state["started"] or not _owns_ledger():
        return
    due = time.monotonic() - _state["last_publish"] >= R.allocation_interval_s
    if specs.changed or due:
        why = "spec change" if specs.changed else "schedule"
        specs.changed = False
        await publish(_all_ledgers(), why)


@app.agent(ledger_topic, name="allocator")
async def allocator(stream: Any) -> None:
    await topic("specs").maybe_declare()
    await topic("allocations").maybe_declare()
    await specs.view.start()
    await specs.view.wait_ready(120)
    _state["started"] = True
    async for events in stage.batches(stream):
        decoded: list[tuple[EventT, LedgerMark]] = [(ev, m) for ev, _s, m in await stage.decode(events)]
        if not decoded:
            continue
        ledgers = _all_ledgers()
        before = max((led.period for led in ledgers.values()), default=-1)
        changed: dict[bytes, EventT] = {}
        for ev, m in decoded:
            led = ledgers.setdefault(m.instance_id, StrategyLedger())
            if led.apply(
                m.mint,
                m.realized_lamports,
                m.unrealized_lamports,
                m.seq,
                m.ts.timestamp(),
                period_s=R.period_s,
                capital=R.capital_lamports,
                keep=R.sharpe_window,
                shadow=m.shadow,
            ):
                changed[m.instance_id.encode()] = ev
        clock = max((led.period for led in ledgers.values()), default=-1)
        last_ev = decoded[-1][0]
        closed = clock > before
        if closed:  # quiet strategies close the period too (zero return)
            for inst, led in ledgers.items():
                if led.advance(clock, R.capital_lamports, R.sharpe_window):
                    changed[inst.encode()] = last_ev
        await stage.write(ledger_strategy, {k: (ev, dump(ledgers[k.decode()])) for k, ev in changed.items()})
        if closed:
            await publish(ledgers, f"period {clock} opened")


@app.on_before_shutdown.connect  # type: ignore[arg-type]
async def _stop_views(sender: Any, **kwargs: Any) -> None:
    """Close this module's global-view consumer with the worker."""
    await specs.view.stop()
