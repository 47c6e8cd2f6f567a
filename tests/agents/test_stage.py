"""The stage mechanism without a broker, on real Faust events: the revoked-partition filter at
intake, at the table write and at acknowledgement, and each stateful stage's state changes for an
event of a partition a rebalance took away left unwritten (the old stages wrote them: a
split-brain write to a changelog partition the new owner also writes). The same on the real
broker, with a rebalance in the middle of a batch: test_stage_rebalance.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import pytest
from faust.types import TP, Message

from memesnipe.agents import (
    allocator,
    fills,
    portfolio_monitor,
    position_manager,
    risk_gate,
    router,
    strategy_runner,
    submitter,
)
from memesnipe.agents.channels import names
from memesnipe.agents.stage import Stage, owned, owned_changes
from memesnipe.app import app
from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState
from memesnipe.core.portfolio import Portfolio
from memesnipe.core.position_messages import book_policy, default_rules
from memesnipe.processors.positions import PositionProcessor
from memesnipe.processors.risk_gate import apply_gate
from memesnipe.settings import ExitSettings
from memesnipe.streams.codec import encode
from memesnipe.streams.ledger import LedgerMark
from memesnipe.streams.market import DepthEvent, PriceEvent
from memesnipe.tables.ledger import LEDGER_TOPIC, PORTFOLIO_KEY, PortfolioState, dump
from memesnipe.tables.risk import decode_state, encode_state
from tests.agents import riskmsgs as m

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OWNED, REVOKED = "MintOwnedpump", "MintRevokedpump"


def full(short: str) -> str:
    return LEDGER_TOPIC if short == "ledger" else names(short)


def event(short: str, partition: int, offset: int, key: bytes, value: Any) -> faust.Event:
    raw = value if isinstance(value, bytes) else encode(value)
    msg = Message(full(short), partition, offset, 0.0, 0, None, key, raw, None)
    return faust.Event(app, key, raw, None, msg)


def tp(short: str, partition: int) -> TP:
    return TP(full(short), partition)


@pytest.fixture
def assignment() -> Iterator[set[TP]]:
    """The partitions every stage sees as its worker's (the consumer's assignment in a worker)."""
    owned_now: set[TP] = set()
    stages = [
        risk_gate.stage,
        position_manager.stage,
        position_manager.specs_stage,
        router.stage,
        router.price_stage,
        router.depth_stage,
        fills.stage,
        submitter.stage,
        strategy_runner.stage,
        allocator.stage,
        portfolio_monitor.stage,
    ]
    saved = [s.assignment for s in stages]
    for s in stages:
        s.assignment = lambda: owned_now
    yield owned_now
    for s, a in zip(stages, saved, strict=True):
        s.assignment = a


async def write(st: Stage, changes: dict[bytes, tuple[Any, bytes]]) -> dict[bytes, bytes]:
    """What ``st`` writes of ``changes`` into a table (a dict: the key-value view of a table)."""
    table: dict[bytes, bytes] = {}
    await st.write(table, changes)
    return table


# ------------------------------------------------------------------------ the mechanism


def test_owned_splits_a_batch_by_the_partitions_assigned_keeping_order() -> None:
    evs = [event("price", p, o, b"k", b"{}") for o, p in enumerate([0, 1, 0, 2, 1])]
    live, stale = owned(evs, {tp("price", 0), tp("price", 2)})
    assert [(e.message.partition, e.message.offset) for e in live] == [(0, 0), (0, 2), (2, 3)]
    assert [(e.message.partition, e.message.offset) for e in stale] == [(1, 1), (1, 4)]


def test_owned_changes_drops_keys_whose_event_is_of_a_revoked_partition() -> None:
    a, b = event("depth", 0, 5, b"A", b"{}"), event("depth", 3, 9, b"B", b"{}")
    keep, dropped = owned_changes({b"A": (a, b"1"), b"B": (b, b"2")}, {tp("depth", 0)})
    assert keep == {b"A": (a, b"1")} and dropped == 1


class Stream:
    """A stream's ``take_events`` and what the consumer acknowledges after each batch (Faust's
    ``take_events`` acks every event of the batch once the body is done; an event already
    marked acked is not recorded for the commit)."""

    def __init__(self, batches: list[list[faust.Event]]) -> None:
        self.batches = batches
        self.committed: list[tuple[int, int]] = []

    async def take_events(self, n: int, within: float) -> AsyncIterator[list[faust.Event]]:
        for batch in self.batches:
            yield batch
            for ev in batch:
                if not ev.message.acked:
                    ev.message.acked = True
                    self.committed.append((ev.message.partition, ev.message.offset))


async def test_batches_drop_events_of_partitions_not_assigned_and_never_commit_them() -> None:
    st = Stage("test", {"price": PriceEvent})
    assigned = {tp("price", 0)}
    st.assignment = lambda: assigned
    stream = Stream([[event("price", p, o, b"k", b"{}") for o, p in enumerate([0, 1, 0, 1])]])
    seen = [[(e.message.partition, e.message.offset) for e in b] async for b in st.batches(stream)]
    assert seen == [[(0, 0), (0, 2)]]
    assert stream.committed == [(0, 0), (0, 2)]  # partition 1's new owner re-reads 1 and 3


async def test_a_partition_revoked_while_the_batch_runs_is_neither_written_nor_committed() -> None:
    st = Stage("test", {"depth": DepthEvent})
    assigned = {tp("depth", 0), tp("depth", 1)}
    st.assignment = lambda: assigned
    batch = [event("depth", 0, 0, b"A", b"{}"), event("depth", 1, 0, b"B", b"{}")]
    stream = Stream([batch])
    table: dict[bytes, bytes] = {}
    async for evs in st.batches(stream):
        assert len(evs) == 2  # both owned when the batch came in
        assigned.discard(tp("depth", 1))  # the rebalance, in the middle of the batch
        await st.write(table, {b"A": (evs[0], b"a"), b"B": (evs[1], b"b")})
    assert table == {b"A": b"a"}
    assert stream.committed == [(0, 0)]


# ------------------------------------------------------------------------ each stage with state


async def test_risk_gate_state_of_a_revoked_partition_is_not_written(assignment: set[TP]) -> None:
    assignment.add(tp("depth", 0))
    decoded = [
        (event("depth", 0, 7, OWNED.encode(), m.depth(OWNED)), "depth", m.depth(OWNED)),
        (event("depth", 1, 7, REVOKED.encode(), m.depth(REVOKED)), "depth", m.depth(REVOKED)),
    ]
    states = {OWNED.encode(): MintRiskState(), REVOKED.encode(): MintRiskState()}
    _sends, touched = apply_gate(decoded, states, risk_gate.gate, ExposureBook(), None, {})
    changes = {k: (ev, encode_state(states[k])) for k, ev in touched.items()}
    assert set(changes) == {OWNED.encode(), REVOKED.encode()}  # the gate applied both
    table = await write(risk_gate.stage, changes)
    assert list(table) == [OWNED.encode()]
    assert decode_state(table[OWNED.encode()]).already_applied("depth", 7)


async def test_position_manager_book_of_a_revoked_partition_is_not_written(assignment: set[TP]) -> None:
    assignment.add(tp("price", 0))
    rules = ExitSettings(stop_loss=0.1, activation_offset=0.03, trail=0.02, max_hold_s=0)
    proc = PositionProcessor(lambda _k: None, lambda _i: default_rules(rules), book_policy(rules))
    inputs = []
    for p, mint in ((0, OWNED), (1, REVOKED)):
        px = PriceEvent(mint=mint, ts=T0, price_sol=0.001, price_usd=0.15, decimals=6)
        inputs.append((event("price", p, 3, mint.encode(), px), px))
    res = proc.process_decoded(inputs)
    assert set(res.changes) == {OWNED.encode(), REVOKED.encode()}
    assert list(await write(position_manager.stage, res.changes)) == [OWNED.encode()]


async def test_position_manager_exit_params_of_a_revoked_specs_partition_are_not_written(
    assignment: set[TP],
) -> None:
    assignment.add(tp("specs", 0))
    changes = {
        b"inst-a": (event("specs", 0, 1, b"inst-a", b"{}"), b"{}"),
        b"inst-b": (event("specs", 1, 1, b"inst-b", b"{}"), b"{}"),
    }
    assert list(await write(position_manager.specs_stage, changes)) == [b"inst-a"]


@pytest.mark.parametrize(
    ("where", "short"),
    [
        ("router", "orders"),
        ("router.price", "price"),
        ("router.depth", "depth"),
        ("fills", "exec_results"),
        ("submitter", "exec_results"),
        ("strategy_runner", "price"),
    ],
)
async def test_order_and_market_state_of_a_revoked_partition_is_not_written(
    assignment: set[TP], where: str, short: str
) -> None:
    """order_lifecycle (router, fills, submitter), router_market (the trackers), strategy_state
    and market_context (the runner): keyed by order or mint, written under the input's partition."""
    st = {
        "router": router.stage,
        "router.price": router.price_stage,
        "router.depth": router.depth_stage,
        "fills": fills.stage,
        "submitter": submitter.stage,
        "strategy_runner": strategy_runner.stage,
    }[where]
    assert st.name == where and short in st.inputs
    assignment.add(tp(short, 2))
    changes = {
        b"kept": (event(short, 2, 10, b"M1", b"{}"), b"state-1"),
        b"dropped": (event(short, 3, 10, b"M2", b"{}"), b"state-2"),
    }
    assert await write(st, changes) == {b"kept": b"state-1"}


@pytest.mark.parametrize("which", ["allocator", "portfolio_monitor"])
async def test_ledger_state_is_not_written_once_the_ledger_partition_was_revoked(
    assignment: set[TP], which: str
) -> None:
    """The single ledger partition moved to another worker while the batch ran: the allocator's
    and the portfolio monitor's state stay the new owner's."""
    st = allocator.stage if which == "allocator" else portfolio_monitor.stage
    mark = LedgerMark(
        instance_id="inst-a",
        mint=OWNED,
        realized_lamports=-(10**9),
        unrealized_lamports=0,
        seq=1,
        ts=T0 + timedelta(seconds=1),
    )
    ev = event("ledger", 0, 4, b"inst-a", mark)
    pst = PortfolioState()
    pf = Portfolio(100 * 10**9, 0.2)
    portfolio_monitor.apply_marks(pst, pf, [(4, mark)])
    assert pst.offset == 4
    state = dump(pst)
    assert await write(st, {PORTFOLIO_KEY: (ev, state)}) == {}
    assignment.add(tp("ledger", 0))  # the same write, the partition owned
    assert await write(st, {PORTFOLIO_KEY: (ev, state)}) == {PORTFOLIO_KEY: state}
