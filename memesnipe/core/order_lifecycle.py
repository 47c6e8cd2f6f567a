"""The order lifecycle as an explicit state machine.

An order moves NEW -> ROUTED -> SIGNED -> SUBMITTED -> LANDED | FAILED | EXPIRED, and may be
REJECTED (kill switch, policy, invalid) before it is signed. Paper orders skip SUBMITTED: the
signed transaction is never sent, the fill comes from the quote/model (SIGNED -> LANDED).

Terminal states never change again; re-applying the state an order already has is a no-op, so a
replayed input cannot move an order twice. Anything else is refused with
:class:`IllegalTransition` naming both states, so a bug shows instead of corrupting state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from memesnipe.streams.trading import OrderState

TERMINAL: frozenset[OrderState] = frozenset(
    {OrderState.LANDED, OrderState.FAILED, OrderState.EXPIRED, OrderState.REJECTED}
)

ALLOWED: dict[OrderState, frozenset[OrderState]] = {
    OrderState.NEW: frozenset({OrderState.ROUTED, OrderState.REJECTED, OrderState.FAILED}),
    OrderState.ROUTED: frozenset(
        {OrderState.SIGNED, OrderState.REJECTED, OrderState.FAILED, OrderState.EXPIRED}
    ),
    OrderState.SIGNED: frozenset(
        {OrderState.SUBMITTED, OrderState.LANDED, OrderState.FAILED, OrderState.EXPIRED}
    ),
    OrderState.SUBMITTED: frozenset({OrderState.LANDED, OrderState.FAILED, OrderState.EXPIRED}),
    OrderState.LANDED: frozenset(),
    OrderState.FAILED: frozenset(),
    OrderState.EXPIRED: frozenset(),
    OrderState.REJECTED: frozenset(),
}

_RANK = {s: i for i, s in enumerate(OrderState)}


class IllegalTransition(ValueError):
    """A transition the lifecycle does not allow (e.g. LANDED -> SUBMITTED)."""

    def __init__(self, current: OrderState, target: OrderState, order_id: str = "") -> None:
        who = f"order {order_id}: " if order_id else ""
        super().__init__(f"{who}illegal transition {current.value} -> {target.value}")
        self.current = current
        self.target = target


def is_terminal(state: OrderState) -> bool:
    return state in TERMINAL


def can_transition(current: OrderState, target: OrderState) -> bool:
    return target in ALLOWED[current]


def next_state(current: OrderState, target: OrderState, order_id: str = "") -> OrderState | None:
    """The state after applying ``target``: None when nothing changes (same state again, i.e. a
    replay), ``target`` when allowed; raises IllegalTransition otherwise."""
    if current is target:
        return None
    if target in ALLOWED[current]:
        return target
    raise IllegalTransition(current, target, order_id)


def is_stale(current: OrderState, target: OrderState) -> bool:
    """True when ``target`` is an older step than ``current`` (a late or replayed message),
    which callers may ignore rather than treat as a bug."""
    if current is target:
        return True
    if is_terminal(current):
        return True
    return not is_terminal(target) and _RANK[target] < _RANK[current]


def path_to(current: OrderState, target: OrderState) -> list[OrderState]:
    """The shortest chain of allowed states from ``current`` to ``target`` (excluding current),
    e.g. ROUTED -> LANDED gives [SIGNED, LANDED]; empty when already there; raises when none."""
    if current is target:
        return []
    frontier: list[list[OrderState]] = [[current]]
    seen = {current}
    while frontier:
        nxt: list[list[OrderState]] = []
        for path in frontier:
            for s in sorted(ALLOWED[path[-1]], key=_RANK.__getitem__):
                if s in seen:
                    continue
                if s is target:
                    return [*path[1:], s]
                seen.add(s)
                nxt.append([*path, s])
        frontier = nxt
    raise IllegalTransition(current, target)


TERMINAL_RETENTION_S = 8 * 86_400.0
"""How long the record of a terminal order stays in ``order_lifecycle`` after its last change.

The record is the router's replay guard: an order whose id has a record is never routed again.
So a record may go only once its order id can no longer come back. An order id comes back only
by re-reading a record that carries it: the order itself (the orders topic, redelivered after a
crash or a rebalance, or re-read after an offset reset or a replay), or the signal it was decided
from (the signals topic; ids derive from the signal, ``core.ids.order_id``). Both topics keep a
record for their ``retention.ms`` (Kafka's default: 7 days; memesnipe sets none), so a record
kept one day longer than that outlives every copy of its id. Orders that are not terminal are
never swept (they are still moving). A shorter topic retention allows a shorter setting; a longer
one (or a replay from the recorder's Parquet files into the live topics) needs a longer one."""


def expired_terminal(
    records: Iterable[tuple[str, OrderState, datetime]],
    now: datetime,
    retention_s: float = TERMINAL_RETENTION_S,
) -> list[str]:
    """The ids, among ``(order_id, state, updated_at)``, of terminal orders unchanged for longer
    than ``retention_s``: their records can be deleted (see :data:`TERMINAL_RETENTION_S`)."""
    return [
        oid
        for oid, state, updated in records
        if state in TERMINAL and (now - updated).total_seconds() > retention_s
    ]
