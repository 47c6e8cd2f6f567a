"""The gate's per-signal decision: ids, replay guard, block flag, depth/safety state, exits."""

from __future__ import annotations

import msgspec

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.core.ids import order_id
from memesnipe.core.risk import RiskLimits
from memesnipe.settings import RiskSettings
from memesnipe.streams.market import DepthEvent, DepthLevel
from memesnipe.streams.trading import DepthStamp, Order, OrderRejection, Side, Venue
from tests.agents import riskmsgs as m

GATE = RiskGate(RiskLimits.from_settings(RiskSettings()), seen_max=4)


def ready_state(mint: str = "M1") -> MintRiskState:
    st = MintRiskState()
    apply_onchain(st, m.safe(mint))
    apply_depth(st, m.depth(mint))
    return st


def test_order_id_is_the_documented_hash() -> None:
    import hashlib

    assert order_id("i", "M", "s") == hashlib.sha256(b"i|M|s").hexdigest()[:32]
    assert order_id("i", "M", "s") != order_id("i", "M", "t")


def test_entry_becomes_a_sized_order_and_a_replay_gives_nothing() -> None:
    st, book = ready_state(), ExposureBook()
    out = GATE.on_signal(st, m.signal("s1", "M1", strength=0.5), book, None, {})
    assert isinstance(out, Order)
    assert (out.order_id, out.amount_in, out.venue) == (
        order_id("inst-a", "M1", "s1"),
        50_000_000,
        Venue.JUPITER,
    )
    assert GATE.on_signal(st, m.signal("s1", "M1", strength=0.5), book, None, {}) is None
    # even with the seen-set lost (state not yet written before a crash), the book knows the order
    assert GATE.on_signal(ready_state(), m.signal("s1", "M1", strength=0.5), book, None, {}) is None
    assert book.token_exposure("M1") == 50_000_000


def test_allocation_from_the_table_sizes_the_order() -> None:
    out = GATE.on_signal(
        ready_state(), m.signal("s1", "M1"), ExposureBook(), None, {"inst-a": m.allocation("inst-a", 0.2)}
    )
    assert isinstance(out, Order) and out.amount_in == 100 * 10**9 * 0.2 * 0.05
    out = GATE.on_signal(
        ready_state(), m.signal("s2", "M1"), ExposureBook(), None, {"inst-a": m.allocation("inst-a", 0.0)}
    )
    assert isinstance(out, OrderRejection) and out.rule == "no_allocation"


def test_seen_set_is_bounded() -> None:
    st, book = ready_state(), ExposureBook()
    for i in range(10):
        GATE.on_signal(st, m.signal(f"s{i}", "M1", strength=0.1), book, None, {})
    assert st.seen == ["s6", "s7", "s8", "s9"]


def test_block_entries_signal_blocks_later_entries_but_not_exits() -> None:
    st, book = ready_state(), ExposureBook()
    book.apply_position(m.position("M1", 777, t=0))
    out = GATE.on_signal(st, m.signal("x", "M1", side=Side.SELL, block=True), book, None, {})
    assert isinstance(out, Order) and out.amount_in == 777 and out.side is Side.SELL
    out = GATE.on_signal(st, m.signal("e", "M1", instance="inst-b"), book, None, {})
    assert isinstance(out, OrderRejection) and out.rule == "mint_blocked" and "inst-a" in out.reason


def test_kill_switch_refuses_entries_and_lets_exits_through() -> None:
    st, book = ready_state(), ExposureBook()
    book.apply_position(m.position("M1", 5, t=0))
    ks = m.kill(True, reason="drawdown")
    rej = GATE.on_signal(st, m.signal("e", "M1"), book, ks, {})
    assert isinstance(rej, OrderRejection) and rej.rule == "kill_switch" and "drawdown" in rej.reason
    assert isinstance(GATE.on_signal(st, m.signal("x", "M1", side=Side.SELL), book, ks, {}), Order)
    assert isinstance(GATE.on_signal(st, m.signal("e2", "M1"), ExposureBook(), m.kill(False), {}), Order)


def test_cover_without_market_index_uses_the_short_it_closes() -> None:
    st, book = ready_state(), ExposureBook()
    out = GATE.on_signal(st, m.signal("s", "M1", side=Side.SHORT, perp=4), book, None, {})
    assert isinstance(out, Order) and out.venue is Venue.DRIFT and st.perp_index == {"inst-a": 4}
    book.apply_position(m.position("M1", 900, side=Side.SHORT, t=5))
    out = GATE.on_signal(st, m.signal("c", "M1", side=Side.COVER, t=6), book, None, {})
    assert isinstance(out, Order) and out.perp_market_index == 4 and out.amount_in == 900


def test_state_keeps_newest_facts_and_applied_offsets() -> None:
    st = MintRiskState()
    apply_onchain(st, m.safe("M1", t=10, top10_holder_pct=70.0))
    apply_onchain(st, m.safe("M1", t=5, top10_holder_pct=10.0))  # older: ignored
    assert st.top10_holder_pct == 70.0
    apply_depth(st, DepthEvent(mint="M1", ts=m.at(3), levels=[DepthLevel(100, 5), DepthLevel(900, 80)]))
    assert st.depth_usd == 900
    st.mark_applied("signals", 41)
    assert st.already_applied("signals", 41) and not st.already_applied("signals", 42)
    assert not st.already_applied("depth", 0)


def test_a_skewed_event_time_on_another_mint_does_not_release_pending_exits() -> None:
    st, book = ready_state("Mexp"), ExposureBook()
    book.apply_position(m.position("Mexp", 1000))
    assert isinstance(GATE.on_signal(st, m.signal("x1", "Mexp", side=Side.SELL, t=10), book, None, {}), Order)
    GATE.on_signal(ready_state("Mz"), m.signal("far", "Mz", t=10_000), book, None, {})  # a day later
    out = GATE.on_signal(st, m.signal("x2", "Mexp", side=Side.SELL, t=11), book, None, {})
    assert isinstance(out, OrderRejection) and out.rule == "exit_pending"


def test_the_order_carries_the_signals_price_and_depth_stamp() -> None:
    stamp = DepthStamp(levels=((100.0, 2.5), (1_000.0, 24.0)), liquidity_usd=40_000.0)
    st, book = ready_state(), ExposureBook()
    sig = msgspec.structs.replace(m.signal("s1", "M1"), depth=stamp)
    out = GATE.on_signal(st, sig, book, None, {})
    assert isinstance(out, Order)
    assert (out.depth, out.price_usd, out.price_sol) == (stamp, sig.price_usd, sig.price_sol)
    unstamped = GATE.on_signal(st, m.signal("s2", "M1"), book, None, {})  # e.g. a position manager exit
    assert isinstance(unstamped, Order) and unstamped.depth is None


def test_a_rejection_carries_the_signals_price_and_depth_stamp() -> None:
    stamp = DepthStamp(levels=((100.0, 2.5), (1_000.0, 24.0)), liquidity_usd=40_000.0)
    st, book = ready_state(), ExposureBook()
    exit_ = msgspec.structs.replace(m.signal("x1", "M1", side=Side.SELL), depth=stamp)
    rej = GATE.on_signal(st, exit_, book, None, {})  # no position: refused
    assert isinstance(rej, OrderRejection) and rej.rule == "no_position"
    assert (rej.price_usd, rej.price_sol, rej.depth) == (exit_.price_usd, exit_.price_sol, stamp)
    assert rej.price_usd > 0 and rej.price_sol > 0
    entry = msgspec.structs.replace(m.signal("e1", "M1"), depth=stamp)
    rej = GATE.on_signal(st, entry, book, m.kill(True, reason="drawdown"), {})
    assert isinstance(rej, OrderRejection) and rej.rule == "kill_switch"
    assert (rej.price_usd, rej.price_sol, rej.depth) == (entry.price_usd, entry.price_sol, stamp)
    unstamped = GATE.on_signal(st, m.signal("x2", "M1", side=Side.SELL), book, None, {})
    assert isinstance(unstamped, OrderRejection) and unstamped.depth is None
