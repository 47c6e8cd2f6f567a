"""The position manager on the ``rejections`` topic: a strategy's exit that the risk gate refused
with ``exit_before_fill`` (it reached the gate before its entry's fill) is sent by the position
manager once the entry has filled, exactly once, with an id derived from the input that
triggered it; every other rejection is skipped without loading a book."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from memesnipe.agents.channels import names
from memesnipe.core.position_book import decode_book, exit_source
from memesnipe.core.position_messages import book_policy, default_rules
from memesnipe.processors.positions import SOURCES, PositionProcessor
from memesnipe.streams.trading import Intent, OrderRejection, PositionUpdate, Side, Signal
from tests.agents.test_position_manager import (
    MINT,
    SETTINGS,
    SOL,
    T0,
    TOK,
    Log,
    Store,
    fill,
    price,
    sent,
)


def digest(signal_id: str) -> str:
    """How an exit's id names the rejection that triggered it: by the refused signal's id, not
    the rejection's offset (a re-emitted copy keeps it)."""
    return hashlib.sha256(signal_id.encode()).hexdigest()[:16]


def rejection(
    sid: str,
    s: float,
    oids: tuple[str, ...] = ("o1",),
    rule: str = "exit_before_fill",
    side: Side = Side.SELL,
) -> OrderRejection:
    return OrderRejection(
        signal_id=sid,
        instance_id="mom-1",
        mint=MINT,
        ts=T0 + timedelta(seconds=s),
        side=side,
        intent=Intent.EXIT,
        rule=rule,
        reason="exit signal before the fill of its entry order(s)",
        awaiting_order_ids=oids if rule == "exit_before_fill" else (),
    )


def buy(s: float = 0, oid: str = "o1"):
    return fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, s, oid)


def test_the_position_manager_consumes_rejections() -> None:
    assert "rejections" in SOURCES


def test_rejection_before_the_fill_the_fill_sends_one_strategy_exit() -> None:
    log, store = Log(), Store()
    res = store.run([log.ev("rejections", rejection("x1", 1))])
    assert res.sends == [] and res.dead == [] and MINT.encode() in res.changes  # remembered
    res = store.run([log.ev("fills", buy(2))])
    (sig,) = sent(res, "signals", Signal)
    assert (sig.intent, sig.side, sig.strength, sig.instance_id) == (Intent.EXIT, Side.SELL, 1.0, "mom-1")
    assert sig.meta["exit_reason"] == "strategy" and sig.meta["qty_tokens"] == 1000 * TOK
    assert sig.reason == "strategy: exit x1 reached the risk gate before its entry filled"
    assert exit_source(sig.signal_id) == f"exit|mom-1|long|{names('fills')}/o1"  # the fill's own id
    assert sig.ts == T0 + timedelta(seconds=2)
    (u,) = sent(res, "positions", PositionUpdate)
    assert u.exit_pending and u.exit_reason == "strategy" and u.qty_tokens == 1000 * TOK
    assert decode_book(store[MINT.encode()]).exit_after_fill == {}


def test_fill_before_the_rejection_the_rejection_sends_it() -> None:
    log, store = Log(), Store()
    assert sent(store.run([log.ev("fills", buy(0))]), "signals", Signal) == []
    res = store.run([log.ev("rejections", rejection("x1", 1))])
    (sig,) = sent(res, "signals", Signal)
    assert exit_source(sig.signal_id) == f"exit|mom-1|long|{names('rejections')}/{digest('x1')}"
    assert sig.meta["exit_reason"] == "strategy" and sig.ts == T0 + timedelta(seconds=1)
    (u,) = sent(res, "positions", PositionUpdate)
    assert u.exit_pending and u.exit_reason == "strategy"


def test_both_in_one_batch_and_a_fresh_replay_give_identical_output() -> None:
    log = Log()
    events = [log.ev("rejections", rejection("x1", 1)), log.ev("fills", buy(2))]
    a, b = Store().run(events), Store().run(events)
    assert a.sends == b.sends and len(sent(a, "signals", Signal)) == 1


def test_no_second_exit_while_it_is_in_flight() -> None:
    log, store = Log(), Store()
    res = store.run([log.ev("rejections", rejection("x1", 1)), log.ev("fills", buy(2))])
    assert len(sent(res, "signals", Signal)) == 1
    # another exit of the strategy refused the same way, then a mark that hits the stop
    res = store.run([log.ev("rejections", rejection("x2", 3)), log.ev("price", price(0.0008, 4))])
    assert sent(res, "signals", Signal) == []


def test_a_replayed_rejection_changes_nothing() -> None:
    log, store = Log(), Store()
    store.run([log.ev("fills", buy(0))])
    rej = log.ev("rejections", rejection("x1", 1))
    assert len(sent(store.run([rej]), "signals", Signal)) == 1
    again = store.processor().process([rej])  # redelivered after a crash, same offset
    assert again.sends == [] and again.skipped == 1


def test_other_rejections_never_load_a_book() -> None:
    log, store = Log(), Store()
    store.run([log.ev("fills", buy(0))])
    loads: list[bytes] = []

    def load(key: bytes) -> bytes | None:
        loads.append(key)
        return store.get(key)

    proc = PositionProcessor(load, lambda _i: default_rules(SETTINGS), book_policy(SETTINGS))
    res = proc.process(
        [
            log.ev("rejections", rejection("x1", 1, rule="no_position")),
            log.ev("rejections", rejection("e1", 1, rule="token_cap", side=Side.BUY)),
        ]
    )
    assert loads == [] and res.sends == [] and res.changes == {} and res.dead == []


def test_bad_rejections_are_dead_lettered() -> None:
    log, store = Log(), Store()
    res = store.run(
        [
            log.ev("rejections", b"{not json"),
            log.ev("rejections", rejection("x1", 1), key=b"OtherMint"),
            log.ev("rejections", rejection("x2", 1, side=Side.BUY)),
        ]
    )
    reasons = [r for _e, r in res.dead]
    assert len(reasons) == 3 and res.sends == []
    assert reasons[0].startswith("rejections: not JSON: JSON is malformed")
    assert "differs from the message's mint" in reasons[1]
    assert "not an exit" in reasons[2]


def test_a_short_is_covered_on_its_drift_market() -> None:
    log, store = Log(), Store()
    entry = Signal(
        signal_id="s1",
        instance_id="mom-1",
        family="momentum_5m",
        mint=MINT,
        ts=T0,
        side=Side.SHORT,
        intent=Intent.ENTRY,
        strength=0.5,
        reason="breakdown",
        perp_market_index=12,
    )
    store.run([log.ev("signals", entry), log.ev("rejections", rejection("x1", 1, side=Side.COVER))])
    res = store.run([log.ev("fills", fill(Side.SHORT, 1000 * TOK, 1 * SOL, 0.001, 2, "o1"))])
    (sig,) = sent(res, "signals", Signal)
    assert (sig.side, sig.perp_market_index, sig.meta["exit_reason"]) == (Side.COVER, 12, "strategy")


def test_our_own_exit_refused_before_the_gate_saw_the_position_is_sent_again() -> None:
    log, store = Log(), Store()
    rug = Signal(
        signal_id="r1",
        instance_id="rps-1",
        family="rug_pull_sniffer",
        mint=MINT,
        ts=T0 + timedelta(seconds=1),
        side=Side.SHORT,
        intent=Intent.ENTRY,
        strength=0.9,
        reason="dev wallet dumped 40%",
        perp_market_index=7,
        block_entries=True,
    )
    res = store.run([log.ev("fills", buy(0)), log.ev("signals", rug)])
    (first,) = sent(res, "signals", Signal)
    # the gate had not seen our position update yet: our exit comes back refused
    res = store.run([log.ev("rejections", rejection(first.signal_id, 1))])
    (again,) = sent(res, "signals", Signal)
    expected = f"exit|mom-1|long|{names('rejections')}/{digest(first.signal_id)}"
    assert exit_source(again.signal_id) == expected and again.signal_id != first.signal_id
    assert again.meta["exit_reason"] == "rug" and "sent again" in again.reason


def test_the_strategy_exit_refused_again_by_a_still_lagging_gate_is_sent_again() -> None:
    log, store = Log(), Store()
    res = store.run([log.ev("rejections", rejection("x1", 1)), log.ev("fills", buy(2))])
    (first,) = sent(res, "signals", Signal)
    res = store.run([log.ev("rejections", rejection(first.signal_id, 2))])
    (again,) = sent(res, "signals", Signal)
    assert exit_source(again.signal_id) == f"exit|mom-1|long|{names('rejections')}/{digest(first.signal_id)}"
    assert again.meta["exit_reason"] == "strategy"
    # the refusal of the strategy's own (first) signal, redelivered at a new offset: nothing more
    assert sent(store.run([log.ev("rejections", rejection("x1", 1))]), "signals", Signal) == []
