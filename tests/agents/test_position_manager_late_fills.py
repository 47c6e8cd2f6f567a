"""The position manager on a fast replay: the price topic consumed ahead of the fills topic.
A fill consumed after marks with later event times sends the same exit signals and leaves the
same position as the in-order sequence; a fill older than the mark history is counted."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from prometheus_client import REGISTRY

from memesnipe.agents.channels import names
from memesnipe.core.position_book import MARK_HISTORY, decode_book, exit_source
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import PositionUpdate, Side, Signal
from tests.agents.test_position_manager import MINT, SOL, T0, TOK, Log, Store, fill, sent


def price(p: float, s: float) -> PriceEvent:
    return PriceEvent(mint=MINT, ts=T0 + timedelta(seconds=s), price_sol=p, price_usd=p * 151.3, decimals=6)


# fractional event times: the exit signal's ts is rebuilt from the recorded epoch seconds
PATH = [
    (0.25, 0.00099),
    (1.5, 0.00101),
    (2.125, 0.00103),
    (3.75, 0.0011),
    (4.5, 0.00108),
    (5.333333, 0.001077),
    (6.1, 0.00105),
    (70.7, 0.0009),
]
BUY_AT = 1.25


def run(order: str) -> tuple[Store, list]:
    log, store = Log(), Store()
    marks = [log.ev("price", price(p, s)) for s, p in PATH]
    buy = log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, BUY_AT, "o1"))
    if order == "in_order":
        k = sum(1 for s, _p in PATH if s <= BUY_AT)
        batches = [marks[:k], [buy], marks[k:]]
    elif order == "late_one_batch":
        batches = [[*marks, buy]]
    else:  # late, across batches (the book and its history are stored in between)
        batches = [marks[:3], marks[3:], [buy]]
    results = [store.run(b) for b in batches]
    return store, results


def test_a_late_fill_sends_the_same_exits_and_leaves_the_same_position() -> None:
    ref_store, ref = run("in_order")
    ref_sigs = [s for r in ref for s in sent(r, "signals", Signal)]
    assert [s.meta["exit_reason"] for s in ref_sigs] == ["trailing_stop", "trailing_stop"]  # + a retry
    assert exit_source(ref_sigs[0].signal_id) == f"exit|mom-1|long|{names('price')}/0/5"
    ref_pos = decode_book(ref_store[MINT.encode()]).positions
    ref_last = [sent(r, "positions", PositionUpdate) for r in ref][-1][-1]
    for order in ("late_one_batch", "late_batches"):
        store, res = run(order)
        sigs = [s for r in res for s in sent(r, "signals", Signal)]
        assert sigs == ref_sigs, order  # ids, reasons, prices, event times, USD prices
        assert decode_book(store[MINT.encode()]).positions == ref_pos, order
        assert [sent(r, "positions", PositionUpdate) for r in res][-1][-1] == ref_last, order


def test_a_replayed_late_fill_changes_nothing_more() -> None:
    log, store = Log(), Store()
    events = [log.ev("price", price(p, s)) for s, p in PATH]
    events.append(log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, BUY_AT, "o1")))
    first = store.run(events)
    assert len(sent(first, "signals", Signal)) == 2
    again = store.processor().process(events)  # re-delivered after a crash before the commit
    assert again.sends == [] and again.skipped == len(events)


def fallbacks() -> float:
    v = REGISTRY.get_sample_value("memesnipe_asof_fallbacks_total", {"stage": "position_manager.marks"})
    return v or 0.0


def test_a_fill_older_than_the_mark_history_falls_back_and_is_counted() -> None:
    log, store = Log(), Store()
    store.run([log.ev("price", price(0.001, s)) for s in range(1, MARK_HISTORY + 20)])
    before = fallbacks()
    res = store.run([log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 2, "o1"))])
    assert fallbacks() == before + 1
    (u,) = sent(res, "positions", PositionUpdate)
    assert u.mark_price_sol == 0.001 and sent(res, "signals", Signal) == []
    # another strategy's fill within the history: exact (it sees the 9 later marks), not counted
    other = msgspec.structs.replace(
        fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, MARK_HISTORY + 10, "o2"), instance_id="b-1"
    )
    res = store.run([log.ev("fills", other)])
    assert fallbacks() == before + 1
    (u,) = sent(res, "positions", PositionUpdate)
    assert u.instance_id == "b-1" and u.ts == T0 + timedelta(seconds=MARK_HISTORY + 19)
