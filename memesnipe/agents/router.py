"""Router: orders -> lifecycle table -> ExecutionRequest (unsigned tx + plan) on exec_requests.

Per batch of orders: an order whose id is already in ``order_lifecycle`` is a replay and is
skipped (the idempotency key is the order id; the signer also refuses a request id twice).
Entries are REJECTED while the kill switch is on; exits always go through. Otherwise the order is
planned (quote, or the paper slippage model on the price and depth of its mint *as of the order's
event time*, from bounded histories this worker keeps because price/depth/orders are all keyed by
mint; see ``routing.market_view``), a transaction is built with the
Jito tip inside it, and an HMAC-authenticated ExecutionRequest goes to the signer. Every
transition is an OrderUpdate on order_updates. The router never sees a private key: the fee
payer is the signer's public key from settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import msgspec
from faust.types import EventT

from memesnipe.agents.channels import topic
from memesnipe.agents.routing import RouteFailed, Router, build_router
from memesnipe.agents.stage import Effects, Send, Stage
from memesnipe.app import app, settings
from memesnipe.core.order_lifecycle import next_state
from memesnipe.logs import ids
from memesnipe.metrics import ORDERS
from memesnipe.streams.auth import sign_request
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.execution import ExecutionRequest
from memesnipe.streams.market import DepthEvent, PriceEvent
from memesnipe.streams.trading import Intent, Order, OrderState, OrderUpdate
from memesnipe.tables.cache import DecodedCache
from memesnipe.tables.control import shared_kill_view
from memesnipe.tables.orders import (
    MarketMark,
    OrderRecord,
    dump,
    load_mark,
    order_lifecycle,
    router_market,
)

log = logging.getLogger(__name__)
kill_view = shared_kill_view(settings)

_router: Router | None = None
stage = Stage("router", {"orders": Order})
price_stage = Stage("router.price", {"price": PriceEvent}, latency=False)
depth_stage = Stage("router.depth", {"depth": DepthEvent}, latency=False)


def get_router() -> Router:
    global _router
    if _router is None:

        async def kill() -> tuple[bool, str]:
            return kill_switch_active()

        _router = build_router(settings, kill_switch=kill)
    return _router


def kill_switch_active() -> tuple[bool, str]:
    """The kill switch as every stage reads it (``core.control``): ON until read to its end."""
    st = kill_view.status
    return st.active, st.reason


def transition(
    rec: OrderRecord, target: OrderState, reason: str = "", signature: str = ""
) -> OrderUpdate | None:
    """Apply one lifecycle step to ``rec`` (in place); the OrderUpdate to publish, or None."""
    if next_state(rec.state, target, rec.order_id) is None:
        return None
    now = utcnow()
    rec.state = target
    rec.updated_at = now
    if reason:
        rec.reason = reason
    if signature:
        rec.signature = signature
    rec.history.append(f"{target.value}@{now.isoformat()}")
    ORDERS.labels(state=target.value).inc()
    return OrderUpdate(order_id=rec.order_id, state=target, ts=now, reason=reason, signature=signature)


def new_record(order: Order, paper: bool) -> OrderRecord:
    now = utcnow()
    return OrderRecord(
        order_id=order.order_id,
        mint=order.mint,
        instance_id=order.instance_id,
        family=order.family,
        side=order.side,
        intent=order.intent,
        venue=order.venue,
        amount_in=order.amount_in,
        state=OrderState.NEW,
        created_at=now,
        updated_at=now,
        paper=paper,
        history=[f"new@{now.isoformat()}"],
        order_ts=order.ts,
        depth=order.depth,
    )


def update_sends(mint: str, updates: list[OrderUpdate | None]) -> list[Send]:
    """The order updates to publish, keyed by mint (the order's partition)."""
    key = mint.encode()
    return [("order_updates", key, encode(u)) for u in updates if u is not None]


def _ids(order: Order, **more: Any) -> dict[str, Any]:
    return ids(
        decision="route",
        signal_id=order.signal_id,
        order_id=order.order_id,
        instance_id=order.instance_id,
        mint=order.mint,
        **more,
    )


async def _route_one(router: Router, order: Order) -> ExecutionRequest | RouteFailed:
    key = order.mint.encode()
    mark = load_mark(router_market.get(key))
    try:
        return await router.route(order, mark, reload=lambda: load_mark(router_market.get(key)))
    except RouteFailed as exc:
        return exc
    except Exception as exc:  # a bug or an unexpected library error: fail the order, keep the agent
        log.exception("routing order %s failed unexpectedly", order.order_id)
        return RouteFailed(f"internal error: {exc!r}")


@app.agent(topic("orders"))
async def route_orders(stream: Any) -> None:
    router = get_router()
    await topic("killswitch").maybe_declare()
    await kill_view.ensure_started()  # no order is judged before the kill switch is known
    async for events in stage.batches(stream):
        decoded: list[tuple[EventT, Order]] = [(ev, o) for ev, _s, o in await stage.decode(events)]
        changes: dict[bytes, tuple[EventT, bytes]] = {}
        todo: list[tuple[EventT, Order, OrderRecord, list[OrderUpdate | None]]] = []
        for ev, order in decoded:
            key = order.order_id.encode()
            if key in changes or order_lifecycle.get(key) is not None:
                continue  # replayed order: it was already routed (or refused) once
            rec = new_record(order, router.paper)
            updates: list[OrderUpdate | None] = [
                OrderUpdate(order_id=order.order_id, state=OrderState.NEW, ts=rec.created_at)
            ]
            ORDERS.labels(state="new").inc()
            active, why = kill_switch_active()
            if active and order.intent is Intent.ENTRY:
                updates.append(transition(rec, OrderState.REJECTED, f"kill switch active: {why}"))
                log.info("order %s rejected: kill switch active (%s)", order.order_id, why, extra=_ids(order))
            todo.append((ev, order, rec, updates))
            changes[key] = (ev, b"")  # reserve: a duplicate later in this batch is skipped
        routable = [(o, rec, ups) for _, o, rec, ups in todo if rec.state is OrderState.NEW]
        if router.live is None and not router.landing.latency_ms:  # paper model: pure CPU
            outcomes = [await _route_one(router, o) for o, _, _ in routable]
        else:  # quotes, simulation, blockhash, latency waits: overlap them across the batch
            outcomes = list(await asyncio.gather(*(_route_one(router, o) for o, _, _ in routable)))
        requests: dict[str, ExecutionRequest] = {}
        for (order, rec, ups), out in zip(routable, outcomes, strict=True):
            if isinstance(out, RouteFailed):
                state = OrderState.REJECTED if out.rejected else OrderState.FAILED
                update = transition(rec, state, str(out))
                log.warning("order %s %s by the router: %s", order.order_id, state, out, extra=_ids(order))
            else:
                rec.plan = dict(out.meta)
                requests[order.order_id] = out
                update = transition(rec, OrderState.ROUTED)
                log.info(
                    "order %s routed: %s %s on %s",
                    order.order_id,
                    order.side,
                    order.venue,
                    order.mint,
                    extra=_ids(order, request_id=out.request_id),
                )
            ups.append(update)
        sends: list[Send] = []
        for ev, order, rec, updates in todo:
            # Outputs first, state second: after a crash in between the order is routed again,
            # with the same request id, which the signer refuses to sign twice.
            sends += update_sends(order.mint, updates)
            request = requests.get(order.order_id)
            if request is not None:
                signed = msgspec.structs.replace(request, hmac=sign_request(request, settings.hmac_secret))
                sends.append(("exec_requests", order.mint.encode(), encode(signed)))
            changes[order.order_id.encode()] = (ev, dump(rec))
        # the records first: the signer's answer to a request may be read back (fills, submitter)
        # before our producer hears the request was delivered. A crash before the records are
        # durable re-routes the batch with the same request ids (the signer signs each once); one
        # after them but before a request is leaves its order ROUTED until it expires (never sent
        # twice).
        await stage.commit(Effects(sends=sends, writes=[(order_lifecycle, changes)], state_first=True))


_marks: DecodedCache[MarketMark] = DecodedCache("router_market", lambda raw: decode(raw, MarketMark))
"""The marks as last written by the two trackers below (only they mutate the cached objects; the
routing path decodes its own copy, which an await in a live route must not see change)."""


async def _fold_marks(
    mark_stage: Stage, inputs: list[tuple[EventT, bytes, Any]], apply: Callable[[MarketMark, Any], Any]
) -> None:
    """Fold market events into their mints' marks and write each changed mark once."""
    marks: dict[bytes, MarketMark] = {}
    last: dict[bytes, EventT] = {}
    try:
        for ev, k, msg in inputs:
            mark = marks.get(k)
            if mark is None:
                mark = marks[k] = _marks.get(k, router_market.get(k)) or MarketMark()
            apply(mark, msg)
            last[k] = ev
        changes = {}
        for k, ev in last.items():
            raw = dump(marks[k])
            _marks.put(k, raw, marks[k])
            changes[k] = (ev, raw)
    except BaseException:
        _marks.clear()  # a cached mark may be half-applied and not written
        raise
    await mark_stage.write(router_market, changes)


@app.agent(topic("price"))
async def track_prices(stream: Any) -> None:
    """Price marks per mint for the paper model: every event into the bounded event-time history
    (the as-of join), the newest by event time as the latest mark."""
    async for events in price_stage.batches(stream):
        decoded = await price_stage.decode(events)
        await _fold_marks(
            price_stage, [(ev, p.mint.encode(), p) for ev, _s, p in decoded], MarketMark.apply_price
        )


@app.agent(topic("depth"))
async def track_depth(stream: Any) -> None:
    """Depth snapshots per mint: every event into the bounded event-time history (the as-of
    join), the newest by event time as the latest depth."""
    async for events in depth_stage.batches(stream):
        decoded = await depth_stage.decode(events)
        await _fold_marks(
            depth_stage, [(ev, d.mint.encode(), d) for ev, _s, d in decoded], MarketMark.apply_depth
        )


@app.on_before_shutdown.connect  # type: ignore[arg-type]
async def _stop_kill_view(sender: Any, **kwargs: Any) -> None:
    """Close the kill-switch view's consumer with the worker."""
    await kill_view.stop()
