"""The position manager's batch processor on raw Kafka-shaped events (no broker): decoding,
dead letters, exact replay, wire messages out (exit signals and position updates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from memesnipe.agents.channels import names
from memesnipe.core.position_book import exit_source
from memesnipe.core.position_messages import book_policy, default_rules
from memesnipe.processors.positions import PositionProcessor
from memesnipe.settings import ExitSettings
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Fill, Intent, PositionStatus, PositionUpdate, Side, Signal

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINT = "PumpMint111"
SOL = 1_000_000_000
TOK = 10**6
SETTINGS = ExitSettings(stop_loss=0.10, activation_offset=0.03, trail=0.02, max_hold_s=0)


@dataclass
class Msg:
    topic: str
    partition: int
    offset: int
    key: bytes | None


@dataclass
class Ev:
    message: Msg
    value: bytes


class Log:
    """Kafka-shaped events with increasing offsets per topic, all in partition 0."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def ev(self, short: str, value: Any, key: bytes | None = MINT.encode()) -> Ev:
        off = self.next.get(short, 0)
        self.next[short] = off + 1
        raw = value if isinstance(value, bytes) else encode(value)
        return Ev(Msg(names(short), 0, off, key), raw)


def price(p: float, s: float) -> PriceEvent:
    return PriceEvent(mint=MINT, ts=T0 + timedelta(seconds=s), price_sol=p, price_usd=p * 150, decimals=6)


def fill(side: Side, qty: int, notional: int, p: float, s: float, fid: str, **costs: int) -> Fill:
    return Fill(
        fill_id=fid,
        order_id=fid,
        instance_id="mom-1",
        family="momentum_5m",
        mint=MINT,
        ts=T0 + timedelta(seconds=s),
        side=side,
        intent=Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT,
        qty_tokens=qty,
        notional_lamports=notional,
        price_sol=p,
        **costs,
    )


class Store(dict):
    def processor(self) -> PositionProcessor:
        return PositionProcessor(self.get, lambda _i: default_rules(SETTINGS), book_policy(SETTINGS))

    def run(self, events: list[Ev]):
        res = self.processor().process(events)
        for key, (_ev, raw) in res.changes.items():
            self[key] = raw
        return res


def sent(res, topic: str, tp: type) -> list[Any]:
    return [decode(v, tp) for name, _k, v in res.sends if name == topic]


def test_fill_publishes_the_position_at_once_with_gross_and_net() -> None:
    log, store = Log(), Store()
    res = store.run(
        [
            log.ev(
                "fills",
                fill(
                    Side.BUY,
                    1000 * TOK,
                    1 * SOL,
                    0.001,
                    0,
                    "o1",
                    swap_fee_lamports=2_500_000,
                    priority_fee_lamports=10_000,
                ),
            )
        ]
    )
    (u,) = sent(res, "positions", PositionUpdate)
    assert (u.status, u.side, u.qty_tokens, u.cost_lamports) == (
        PositionStatus.OPEN,
        Side.BUY,
        1000 * TOK,
        SOL,
    )
    assert u.fees_lamports == 2_510_000 and u.unrealized_pnl_lamports == -2_510_000
    assert u.unrealized_gross_pnl_lamports == 0 and u.stop_price_sol == pytest.approx(0.0009)
    assert u.family == "momentum_5m" and u.position_id == f"mom-1|{MINT}|long|o1"
    assert u.fill_ts == u.ts == T0  # the latest fill it reflects (the risk gate's pending orders)
    res = store.run([log.ev("price", price(0.0012, 30))])
    (marked,) = sent(res, "positions", PositionUpdate)
    assert marked.ts == T0 + timedelta(seconds=30) and marked.fill_ts == T0  # a mark books no fill


def test_pump_and_dump_gives_one_trailing_exit_signal_with_a_replayable_id() -> None:
    log, store = Log(), Store()
    store.run([log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 0, "o1"))])
    pump = [log.ev("price", price(p, s)) for s, p in enumerate([0.00101, 0.00103, 0.0011, 0.00108], 1)]
    dump = [log.ev("price", price(p, s)) for s, p in enumerate([0.001077, 0.00105, 0.0009], 5)]
    res = store.run(pump + dump)
    (sig,) = sent(res, "signals", Signal)
    assert (sig.intent, sig.side, sig.strength, sig.instance_id) == (Intent.EXIT, Side.SELL, 1.0, "mom-1")
    assert sig.reason == "trailing_stop: price 0.001077 <= stop 0.001078"
    assert sig.meta == {
        "exit_reason": "trailing_stop",
        "qty_tokens": 1000 * TOK,
        "position_id": f"mom-1|{MINT}|long|o1",
        "source": "position_manager",
    }
    assert exit_source(sig.signal_id) == f"exit|mom-1|long|{names('price')}/0/4"
    assert sig.ts == T0 + timedelta(seconds=5)
    ups = sent(res, "positions", PositionUpdate)
    assert len(ups) == 1 and ups[0].exit_pending and ups[0].peak_price_sol == 0.0011
    assert ups[0].unrealized_gross_pnl_lamports == -100_000_000  # marked at 0.0009 (last in batch)

    # the same events again (a crash before the offsets were committed): nothing new
    again = store.processor().process(pump + dump)
    assert again.sends == [] and again.skipped == len(pump + dump)

    # the exit fills: position closed, PnL from the fills
    res = store.run(
        [
            log.ev(
                "fills",
                fill(Side.SELL, 1000 * TOK, 1_077_000_000, 0.001077, 9, "o2", swap_fee_lamports=2_692_500),
            )
        ]
    )
    (u,) = sent(res, "positions", PositionUpdate)
    assert (u.status, u.qty_tokens, u.exit_reason) == (PositionStatus.CLOSED, 0, "trailing_stop")
    assert u.realized_gross_pnl_lamports == 77_000_000 and u.realized_pnl_lamports == 77_000_000 - 2_692_500
    assert res.realized == {"mom-1": 77_000_000 - 2_692_500}


def test_replay_in_one_batch_and_fresh_processor_gives_identical_output() -> None:
    log = Log()
    events = [log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 0, "o1"))]
    events += [log.ev("price", price(p, s)) for s, p in enumerate([0.0011, 0.00107], 1)]
    a, b = Store().run(events), Store().run(events)
    assert a.sends == b.sends and len(sent(a, "signals", Signal)) == 1


def test_bad_messages_go_to_dead_letters_with_the_reason_and_the_rest_is_applied() -> None:
    log, store = Log(), Store()
    res = store.run(
        [
            log.ev("fills", b"{not json"),
            log.ev("fills", fill(Side.BUY, 1 * TOK, 1000, 0.001, 1, "o0"), key=b"OtherMint"),
            log.ev("fills", fill(Side.SELL, 5, 5, 0.001, 2, "o9")),
            log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 3, "o1")),
        ]
    )
    reasons = [r for _e, r in res.dead]
    assert len(reasons) == 3
    assert reasons[0].startswith("fills: not JSON: JSON is malformed")
    assert "differs from the message's mint" in reasons[1]
    assert "holds no long position" in reasons[2]
    assert len(sent(res, "positions", PositionUpdate)) == 1


def test_rug_signal_forces_the_long_out() -> None:
    log, store = Log(), Store()
    store.run([log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 0, "o1"))])
    rug = Signal(
        signal_id="r1",
        instance_id="rps-1",
        family="rug_pull_sniffer",
        mint=MINT,
        ts=T0 + timedelta(seconds=4),
        side=Side.SHORT,
        intent=Intent.ENTRY,
        strength=0.9,
        reason="dev wallet dumped 40%",
        perp_market_index=7,
        block_entries=True,
    )
    res = store.run([log.ev("signals", rug)])
    (sig,) = sent(res, "signals", Signal)
    assert (sig.side, sig.meta["exit_reason"], sig.reason) == (Side.SELL, "rug", "rug: dev wallet dumped 40%")


def test_entry_blocking_alarm_without_a_perp_market_is_a_rug_too() -> None:
    log, store = Log(), Store()
    store.run([log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 0, "o1"))])
    alarm = Signal(
        signal_id="r2",
        instance_id="guard-1",
        family="token_guard",
        mint=MINT,
        ts=T0 + timedelta(seconds=4),
        side=Side.SELL,
        intent=Intent.EXIT,
        strength=1.0,
        reason="LP removed",
        block_entries=True,
    )
    (sig,) = sent(store.run([log.ev("signals", alarm)]), "signals", Signal)
    assert (sig.side, sig.instance_id, sig.reason) == (Side.SELL, "mom-1", "rug: LP removed")


def test_other_signals_are_ignored_without_touching_state() -> None:
    log, store = Log(), Store()
    s = Signal(
        signal_id="s1",
        instance_id="mom-1",
        family="momentum_5m",
        mint=MINT,
        ts=T0,
        side=Side.BUY,
        intent=Intent.ENTRY,
        strength=0.5,
        reason="breakout",
    )
    res = store.run([log.ev("signals", s)])
    assert res.sends == [] and res.changes == {} and res.dead == []


def test_short_exit_covers_on_drift_market_from_its_entry_signal() -> None:
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
    store.run(
        [log.ev("signals", entry), log.ev("fills", fill(Side.SHORT, 1000 * TOK, 1 * SOL, 0.001, 1, "o1"))]
    )
    res = store.run([log.ev("price", price(0.0011, 2))])
    (sig,) = sent(res, "signals", Signal)
    assert (sig.side, sig.perp_market_index, sig.meta["exit_reason"]) == (Side.COVER, 12, "stop_loss")


def test_kill_switch_with_flatten_exits_every_position_on_its_next_mark() -> None:
    from memesnipe.core.control import KillFold
    from memesnipe.processors.positions import FlattenLookup
    from memesnipe.streams.control import KillSwitch

    kills = KillFold(read_to_end=True)
    log, store = Log(), Store()
    proc = PositionProcessor(
        store.get, lambda _i: default_rules(SETTINGS), book_policy(SETTINGS), FlattenLookup(kills)
    )
    entry = Signal(
        signal_id="s1",
        instance_id="mom-2",
        family="momentum_5m",
        mint=MINT,
        ts=T0,
        side=Side.SHORT,
        intent=Intent.ENTRY,
        strength=0.5,
        reason="breakdown",
        perp_market_index=3,
    )
    short = Fill(
        fill_id="o2",
        order_id="o2",
        instance_id="mom-2",
        family="momentum_5m",
        mint=MINT,
        ts=T0,
        side=Side.SHORT,
        intent=Intent.ENTRY,
        qty_tokens=10 * TOK,
        notional_lamports=10_000,
        price_sol=0.001,
    )
    for batch in (
        [
            log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 0, "o1")),
            log.ev("signals", entry),
            log.ev("fills", short),
        ],
    ):
        for k, (_e, raw) in proc.process(batch).changes.items():
            store[k] = raw
    # a kill switch without flatten changes nothing
    kills.apply(b"global", encode(KillSwitch(active=True, ts=T0, by="ops", reason="pause")), 0, 0)
    assert sent(proc.process([log.ev("price", price(0.001, 1))]), "signals", Signal) == []
    flatten = KillSwitch(active=True, ts=T0, by="portfolio_monitor", reason="drawdown 21%", flatten=True)
    kills.apply(b"global", encode(flatten), 0, 1)
    res = proc.process([log.ev("price", price(0.001, 2))])
    sigs = sorted(sent(res, "signals", Signal), key=lambda s: s.side)
    assert [(s.side, s.meta["exit_reason"]) for s in sigs] == [
        (Side.COVER, "flatten"),
        (Side.SELL, "flatten"),
    ]
    assert sigs[0].perp_market_index == 3
    assert sigs[1].reason == "flatten: kill switch by portfolio_monitor: drawdown 21%"


def test_rules_lookup_applies_a_specs_exit_overrides_and_keeps_defaults_otherwise() -> None:
    from memesnipe.processors.positions import RulesLookup

    table: dict[bytes, bytes] = {b"wide-1": b'{"trail": 0.05, "take_profit": 1.0}', b"bad-1": b'{"trail": 7}'}
    lookup = RulesLookup(default_rules(SETTINGS), table)
    wide = lookup("wide-1")
    assert (wide.stop.trail, wide.stop.stop_loss, wide.take_profit) == (0.05, 0.10, 1.0)
    assert lookup("other") is lookup.default and lookup("bad-1") is lookup.default
    table[b"wide-1"] = b'{"trail": 0.04}'  # a new spec revision replaces the cached rules
    assert lookup("wide-1").stop.trail == 0.04


def test_an_internal_error_on_one_event_is_dead_lettered_and_the_batch_goes_on() -> None:
    log, store = Log(), Store()
    store.run([log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 0, "o1"))])
    calls = {"n": 0}

    def flaky(_inst: str):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return default_rules(SETTINGS)

    proc = PositionProcessor(store.get, flaky, book_policy(SETTINGS))
    res = proc.process([log.ev("price", price(0.0012, 1)), log.ev("price", price(0.00105, 2))])
    assert [r for _e, r in res.dead] == ["price: internal error RuntimeError: boom"]
    (sig,) = sent(res, "signals", Signal)  # the next mark still decides the trailing exit
    assert sig.meta["exit_reason"] == "trailing_stop"


def test_flatten_sweep_signals_every_open_position_once_and_marks_do_not_repeat_them() -> None:
    from memesnipe.core.control import KillFold
    from memesnipe.core.position_book import decode_book
    from memesnipe.processors.positions import FlattenLookup, flatten_signals
    from memesnipe.streams.control import KillSwitch

    log, store = Log(), Store()
    store.run([log.ev("fills", fill(Side.BUY, 1000 * TOK, 1 * SOL, 0.001, 0, "o1"))])
    kill = KillSwitch(active=True, ts=T0 + timedelta(seconds=5), by="ops", reason="halt", flatten=True)
    books = [decode_book(v) for v in store.values()]
    assert flatten_signals(books, KillSwitch(active=True, ts=T0, by="ops", reason="pause")) == []
    (sig,) = flatten_signals(books, kill)
    assert sig.signal_id == "flatten|2026-01-01T00:00:05+00:00|mom-1|long"
    assert (sig.side, sig.meta["exit_reason"], sig.reason) == (
        Side.SELL,
        "flatten",
        "flatten: kill switch by ops: halt",
    )
    assert flatten_signals(books, kill) == [sig]  # same ids on every sweep / worker / restart

    # the sweep's signal comes back on the signals topic: the position is now exiting, so a mark
    # under the same kill switch sends nothing more, and the next sweep skips it too
    kills = KillFold(read_to_end=True)
    kills.apply(b"global", encode(kill), 0, 0)
    proc = PositionProcessor(
        store.get, lambda _i: default_rules(SETTINGS), book_policy(SETTINGS), FlattenLookup(kills)
    )
    res = proc.process([log.ev("signals", sig)])
    (u,) = sent(res, "positions", PositionUpdate)
    assert u.exit_pending and u.exit_reason == "flatten"
    store.update({k: v for k, (_e, v) in res.changes.items()})
    assert sent(proc.process([log.ev("price", price(0.001, 6))]), "signals", Signal) == []
    assert flatten_signals([decode_book(v) for v in store.values()], kill) == []
