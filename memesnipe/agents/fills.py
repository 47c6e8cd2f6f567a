"""Paper fills: a SIGNED result from the signer becomes exactly one Fill per order.

The plan the router stored in ``order_lifecycle`` (quote or paper model, with every cost) gives
the fill; ``fill_id = order_id``. Deduplication is the record's state: once an order is LANDED
(``filled``) another SIGNED result for it (a replay, a restarted signer re-emitting) is ignored.
Refusals and failures from the signer end the order as REJECTED / FAILED. Live orders are left
to the submitter, which sends the signed transaction and fills from the landed one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from faust.types import EventT

from memesnipe.agents.channels import topic
from memesnipe.agents.router import transition, update_sends
from memesnipe.agents.stage import Decoded, Effects, Stage
from memesnipe.app import app
from memesnipe.core.order_lifecycle import is_terminal, path_to
from memesnipe.core.order_plan import Plan, fill_from_plan
from memesnipe.core.paper_fill import PaperFillError
from memesnipe.logs import ids
from memesnipe.metrics import FILLS
from memesnipe.streams.codec import encode
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import OrderState, OrderUpdate
from memesnipe.tables.orders import OrderRecord, dump, load_record, order_lifecycle

log = logging.getLogger(__name__)

stage = Stage("fills", {"exec_results": ExecutionResult})
RESULT_TARGET = {
    ExecutionStatus.REFUSED: OrderState.REJECTED,
    ExecutionStatus.FAILED: OrderState.FAILED,
    ExecutionStatus.EXPIRED: OrderState.EXPIRED,
}


def advance(rec: OrderRecord, target: OrderState, reason: str = "", signature: str = "") -> list[OrderUpdate]:
    """Move ``rec`` to ``target`` through every intermediate state (each one is published)."""
    out = []
    steps = path_to(rec.state, target)
    for i, state in enumerate(steps):
        last = i == len(steps) - 1
        u = transition(rec, state, reason if last else "", signature)
        if u is not None:
            out.append(u)
    return out


def log_outcome(rec: OrderRecord, res: ExecutionResult, fill: Any, stage: str = "fills") -> None:
    """One line per execution outcome: the fill, or the state the order ended in and why."""
    fields = ids(
        decision=stage,
        order_id=rec.order_id,
        request_id=res.request_id,
        instance_id=rec.instance_id,
        mint=rec.mint,
        state=str(rec.state),
    )
    if fill is not None:
        log.info(
            "fill %s: %s %d tokens for %d lamports",
            fill.fill_id,
            fill.side,
            fill.qty_tokens,
            fill.notional_lamports,
            extra={**fields, "fill_id": fill.fill_id},
        )
    elif rec.state in (OrderState.FAILED, OrderState.REJECTED, OrderState.EXPIRED):
        log.warning("order %s %s: %s", rec.order_id, rec.state, rec.reason or res.reason, extra=fields)
    else:
        log.info("order %s %s", rec.order_id, rec.state, extra=fields)


def paper_result(rec: OrderRecord, res: ExecutionResult) -> tuple[list[OrderUpdate], Any]:
    """Apply one signer result to a paper order: (updates, fill or None). Pure on the record."""
    if rec.filled or is_terminal(rec.state):
        return [], None
    if res.status is ExecutionStatus.SIGNED:
        plan = Plan.from_meta(rec.plan)
        try:
            fill = fill_from_plan(
                order_id=rec.order_id,
                instance_id=rec.instance_id,
                family=rec.family,
                mint=rec.mint,
                side=rec.side,
                intent=rec.intent,
                plan=plan,
                # event time: in a replay or backtest the fill belongs to the order's moment,
                # not to the wall clock of the signer (stops and hold times run on event time)
                # (plus the latency model's delay: the fill happens when the order would land)
                ts=(rec.order_ts + timedelta(seconds=float(rec.plan.get("latency_s", 0.0))))
                if rec.order_ts is not None
                else res.ts,
                paper=True,
                signature=res.signature,
                reason=f"paper:{plan.model}",
                depth=rec.depth,
            )
        except PaperFillError as exc:
            return advance(rec, OrderState.FAILED, str(exc)), None
        updates = advance(rec, OrderState.SIGNED, signature=res.signature)
        updates += advance(rec, OrderState.LANDED, "paper fill", res.signature)
        rec.filled = True
        return updates, fill
    target = RESULT_TARGET.get(res.status)
    if target is None:  # SUBMITTED/LANDED never come from the signer in paper mode
        return [], None
    return advance(rec, target, res.reason or res.status.value), None


@app.agent(topic("exec_results"))
async def paper_fills(stream: Any) -> None:
    await stage.run(stream, _handle)


Judgement = tuple[list[OrderUpdate], Any] | str | None
"""(updates, fill or None) for a result applied to its record; a reason to dead-letter it; or
None when the result is another stage's (or changes nothing)."""


async def apply_results(
    decoded: list[Decoded],
    stage_name: str,
    judge: Callable[[OrderRecord | None, ExecutionResult], Awaitable[Judgement]],
) -> Effects:
    """Execution results applied in order to their orders' records (``judge`` decides each; a
    record changed earlier in the batch is the one judged next): the updates and fills to send,
    the records to write. Shared by the paper fills and the live submitter."""
    fx = Effects()
    changes: dict[bytes, tuple[EventT, bytes]] = {}
    records: dict[bytes, OrderRecord] = {}
    for ev, _short, res in decoded:
        key = res.order_id.encode()
        rec = records.get(key) or load_record(order_lifecycle.get(key))
        out = await judge(rec, res)
        if isinstance(out, str):
            fx.dead.append((ev, out))
            continue
        if out is None or rec is None or (not out[0] and out[1] is None):
            continue
        updates, fill = out
        log_outcome(rec, res, fill, stage_name)
        fx.sends += update_sends(rec.mint, list(updates))
        if fill is not None:
            fx.sends.append(("fills", rec.mint.encode(), encode(fill)))
            FILLS.labels(strategy=rec.instance_id, side=rec.side.value).inc()
        records[key] = rec
        changes[key] = (ev, dump(rec))
    fx.writes.append((order_lifecycle, changes))
    return fx


async def _judge_paper(rec: OrderRecord | None, res: ExecutionResult) -> Judgement:
    """A result for an unknown order is dead-lettered; live orders are the submitter's."""
    if rec is None:
        return f"no order record for {res.order_id} (unknown request)"
    if not rec.paper:
        return None
    return paper_result(rec, res)


async def _handle(decoded: list[Decoded]) -> Effects:
    return await apply_results(decoded, "fills", _judge_paper)
