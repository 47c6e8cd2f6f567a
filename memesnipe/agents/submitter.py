"""Submitter (live): a SIGNED result -> Jito bundle (RPC fallback) -> SUBMITTED; a background
poll reports LANDED / FAILED / EXPIRED back on exec_results (keyed by mint, so the outcome is
applied in the order's own partition); LANDED becomes exactly one Fill from the landed
transaction (the wallet's real SOL and token changes), FAILED/EXPIRED end the order.

A timer resumes polling for SUBMITTED orders after a restart and expires orders the signer never
answered (ROUTED for longer than ``order_expiry_s``), paper or live. Paper orders are otherwise the
fills agent's; a result for an order this worker does not know is left to it (it dead-letters).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import datetime
from typing import Any

import msgspec
from solders.transaction import VersionedTransaction

from memesnipe.agents.channels import topic
from memesnipe.agents.fills import Judgement, advance, apply_results
from memesnipe.agents.router import get_router
from memesnipe.agents.stage import Decoded, Effects, Stage
from memesnipe.agents.submission import Outcome, Submission, Submitter
from memesnipe.app import app, settings
from memesnipe.connectors.errors import ProviderError
from memesnipe.core.landed import LandedAmounts
from memesnipe.core.order_lifecycle import is_terminal
from memesnipe.core.order_plan import Plan, fill_from_plan
from memesnipe.metrics import FILLS_PENDING, REALISED_SLIPPAGE_BPS
from memesnipe.settings import Mode
from memesnipe.streams.base import LAMPORTS_PER_SOL, utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Fill, OrderState, OrderUpdate, Side, Venue
from memesnipe.tables.orders import OrderRecord, load_record, order_lifecycle

log = logging.getLogger(__name__)
stage = Stage("submitter", {"exec_results": ExecutionResult})
OUTCOME_STATUS = {
    OrderState.LANDED: ExecutionStatus.LANDED,
    OrderState.FAILED: ExecutionStatus.FAILED,
    OrderState.EXPIRED: ExecutionStatus.EXPIRED,
}
FILL_FROM_PLAN_AFTER_S = 3600.0
"""A landed transaction the RPC still cannot show after this long is booked from its plan."""
_submitter: Submitter | None = None
_polling: set[str] = set()
_tasks: set[asyncio.Task[None]] = set()


def get_submitter() -> Submitter:
    """One Submitter per process, sharing the router's Jito and RPC clients when it has them, so
    Jito's per-IP rate limit is enforced by a single token bucket."""
    global _submitter
    if _submitter is None:
        from memesnipe.connectors.jito import JitoClient
        from memesnipe.connectors.solana_rpc.client import SolanaRpcClient

        x = settings.jito
        live: Any = get_router().live
        jito = (
            live.jito
            if live is not None
            else JitoClient(
                x.block_engine_url,
                uuid=x.uuid,
                tip_floor_url=x.tip_floor_url,
                rate_per_s=x.rate_per_s,
                timeout_s=x.timeout_s,
            )
        )
        rpc = (
            live.rpc
            if live is not None
            else SolanaRpcClient(settings.execution.rpc_url, rate_per_s=settings.execution.rpc_rate_per_s)
        )
        regions = [
            JitoClient(
                x.endpoints[name],
                uuid=x.uuid,
                tip_floor_url=x.tip_floor_url,
                rate_per_s=x.rate_per_s,
                timeout_s=x.timeout_s,
            )
            for name in x.extra_region_list
        ]
        _submitter = Submitter(
            jito=jito,
            regions=regions,
            rpc=rpc,
            rpc_fallback=x.rpc_fallback,
            poll_interval_s=x.poll_interval_s,
            timeout_s=x.bundle_timeout_s,
        )
    return _submitter


def live_fill(rec: OrderRecord, amounts: LandedAmounts | None, signature: str) -> Fill:
    """The Fill of a landed order: real amounts from the transaction for Jupiter swaps, the plan
    otherwise (Drift perps settle inside the Drift account; or the RPC could not tell yet)."""
    plan = Plan.from_meta(rec.plan)
    expected_qty, expected_notional = plan.qty_tokens, plan.notional_lamports
    reason = "live:quote"
    if rec.venue is Venue.JUPITER and amounts is not None and amounts.token_delta != 0:
        qty = abs(amounts.token_delta)
        sol = abs(amounts.swap_sol_lamports)  # a new token account's rent is a deposit, not price
        costs = amounts.fee_lamports + plan.jito_tip_lamports + plan.swap_fee_lamports
        notional = max(sol - costs, 0) if rec.side is Side.BUY else sol + costs
        price = (notional / LAMPORTS_PER_SOL) / (qty / 10**plan.decimals) if qty else plan.price_sol
        plan = Plan(
            **{
                **plan.to_meta(),
                "qty_tokens": qty,
                "notional_lamports": notional,
                "price_sol": price,
                "priority_fee_lamports": amounts.fee_lamports,
            }
        )
        reason = "live:landed"
    fill = fill_from_plan(
        order_id=rec.order_id,
        instance_id=rec.instance_id,
        family=rec.family,
        mint=rec.mint,
        side=rec.side,
        intent=rec.intent,
        plan=plan,
        ts=utcnow(),
        paper=False,
        signature=signature,
        reason=reason,
    )
    fill = msgspec.structs.replace(
        fill,
        expected_qty_tokens=expected_qty,
        expected_notional_lamports=expected_notional,
        rent_lamports=amounts.rent_lamports if reason == "live:landed" and amounts is not None else 0,
    )
    if reason == "live:landed":
        REALISED_SLIPPAGE_BPS.labels(side=rec.side.value).observe(fill.slippage_bps)
    return fill


def _parse_ref(bundle_id: str) -> Submission | None:
    via, _, ref = bundle_id.partition(":")
    return Submission(via, ref) if ref else None


def start_poll(rec: OrderRecord) -> None:
    """Poll one submission in the background; report the outcome on exec_results."""
    sub = _parse_ref(rec.bundle_id)
    if sub is None or rec.order_id in _polling:
        return
    _polling.add(rec.order_id)
    order_id, mint, signature, blockhash = rec.order_id, rec.mint, rec.signature, rec.blockhash

    landed = rec.state is OrderState.LANDED  # landed, fill pending: read the transaction again

    async def run() -> None:
        try:
            out = (
                Outcome(OrderState.LANDED)
                if landed
                else await get_submitter().outcome(sub, signature, blockhash)
            )
            res = ExecutionResult(
                request_id=order_id,
                order_id=order_id,
                mint=mint,
                status=OUTCOME_STATUS[out.state],
                ts=utcnow(),
                signature=signature,
                reason=out.reason,
                slot=out.slot,
            )
            await topic("exec_results").send(key=mint.encode(), value=encode(res))
        except Exception:  # the timer retries: the order stays SUBMITTED
            log.exception("polling order %s failed", order_id)
        finally:
            _polling.discard(order_id)

    task = asyncio.ensure_future(run())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def apply_live(rec: OrderRecord, res: ExecutionResult) -> tuple[list[OrderUpdate], Fill | None]:
    """One result applied to a live order (mutates ``rec``)."""
    if rec.filled:
        return [], None
    awaiting_fill = rec.state is OrderState.LANDED and res.status is ExecutionStatus.LANDED
    if is_terminal(rec.state) and not awaiting_fill:
        return [], None
    sub = get_submitter()
    if res.status is ExecutionStatus.SIGNED:
        if rec.state is not OrderState.ROUTED:
            return [], None  # already submitted: a replayed result
        updates = advance(rec, OrderState.SIGNED, signature=res.signature)
        rec.blockhash = blockhash_of(res.signed_tx_b64)
        try:
            s = await sub.submit(res.signed_tx_b64, res.signature)
        except ProviderError as exc:
            return updates + advance(rec, OrderState.FAILED, f"submission failed: {exc}"), None
        rec.bundle_id = f"{s.via}:{s.ref}"
        updates += advance(rec, OrderState.SUBMITTED, f"via {s.via} {s.ref}", res.signature)
        start_poll(rec)
        return updates, None
    if res.status is ExecutionStatus.LANDED:
        return await _landed(rec, res, sub)
    target = {
        ExecutionStatus.FAILED: OrderState.FAILED,
        ExecutionStatus.EXPIRED: OrderState.EXPIRED,
        ExecutionStatus.REFUSED: OrderState.REJECTED,
    }.get(res.status)
    if target is None:
        return [], None
    return advance(rec, target, res.reason or res.status.value), None


async def _landed(
    rec: OrderRecord, res: ExecutionResult, sub: Submitter
) -> tuple[list[OrderUpdate], Fill | None]:
    """A landed order is booked from the chain: the transaction is read back (retried until the
    RPC can tell) and its actual amounts are the fill; the plan is only the expectation. Still
    unreadable: the order is LANDED with its fill pending, and the timer reads it again; after
    ``FILL_FROM_PLAN_AFTER_S`` the plan is booked (counted, logged as an error)."""
    updates: list[OrderUpdate] = []
    first = rec.state is not OrderState.LANDED
    if rec.venue is not Venue.JUPITER:  # Drift perps settle inside the Drift account: the model
        fill = live_fill(rec, None, rec.signature)
        rec.filled = True
        return advance(rec, OrderState.LANDED, f"slot {res.slot}", rec.signature), fill
    read = await sub.read_landed(rec.signature, get_router().payer, rec.mint, attempts=0 if first else 1)
    if read.failed:
        if first:
            return advance(rec, OrderState.FAILED, read.failed, rec.signature), None
        log.error("order %s booked LANDED but its transaction failed on chain: %s", rec.order_id, read.failed)
        rec.filled, rec.reason = True, read.failed
        return [], None
    if first:
        updates = advance(rec, OrderState.LANDED, f"slot {res.slot}", rec.signature)
    if read.amounts is None:
        waited = (utcnow() - rec.updated_at).total_seconds()
        if first or waited < FILL_FROM_PLAN_AFTER_S:
            if first:
                FILLS_PENDING.inc()
            return updates, None  # the timer reads it again
        log.error(
            "order %s: landed transaction unreadable for %.0f s; booking the plan", rec.order_id, waited
        )
    fill = live_fill(rec, read.amounts, rec.signature)
    rec.filled = True
    return updates, fill


def blockhash_of(signed_tx_b64: str) -> str:
    """The recent blockhash a signed transaction carries (its expiry), or "" if unreadable."""
    try:
        return str(VersionedTransaction.from_bytes(base64.b64decode(signed_tx_b64)).message.recent_blockhash)
    except Exception:  # not ours to judge here: the signer checked it
        return ""


@app.agent(topic("exec_results"))
async def submit_results(stream: Any) -> None:
    await stage.run(stream, _handle)


async def _judge_live(rec: OrderRecord | None, res: ExecutionResult) -> Judgement:
    """Live orders only: an unknown or paper order's result is the fills stage's."""
    if rec is None or rec.paper:
        return None
    return await apply_live(rec, res)


async def _handle(decoded: list[Decoded]) -> Effects:
    """Each signer or poll result applied to its live order's record; the mechanism sends the
    updates and fills, then writes the records."""
    return await apply_results(decoded, "submitter", _judge_live)


def due(
    records: list[OrderRecord], now: datetime, expiry_s: float, live: bool
) -> tuple[list[OrderRecord], list[OrderRecord]]:
    """(SUBMITTED live orders to poll again, ROUTED orders unsigned for longer than ``expiry_s``)."""
    poll = [
        r
        for r in records
        if live
        and not r.paper
        and (r.state is OrderState.SUBMITTED or (r.state is OrderState.LANDED and not r.filled))
    ]
    expire = [
        r for r in records if r.state is OrderState.ROUTED and (now - r.updated_at).total_seconds() > expiry_s
    ]
    return poll, expire


@app.timer(interval=15.0)
async def resume_and_expire() -> None:
    """Resume polling SUBMITTED live orders (after a restart); expire orders never signed."""
    now = utcnow()
    expiry = settings.execution.order_expiry_s
    records = [r for r in (load_record(raw) for _k, raw in list(order_lifecycle.items())) if r is not None]
    poll, expire = due(records, now, expiry, settings.mode is Mode.LIVE)
    for rec in poll:
        start_poll(rec)
    for rec in expire:
        res = ExecutionResult(
            request_id=rec.order_id,
            order_id=rec.order_id,
            mint=rec.mint,
            status=ExecutionStatus.EXPIRED,
            ts=now,
            reason=f"not signed within {expiry:.0f}s",
        )
        await topic("exec_results").send(key=rec.mint.encode(), value=encode(res))
