"""The risk gate's processor without a broker: facts and signals applied to the mints' states in
order, each input once per offset, outputs as data (what the stage mechanism then sends)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate
from memesnipe.core.ids import order_id
from memesnipe.core.risk import RiskLimits
from memesnipe.processors.risk_gate import apply_gate
from memesnipe.settings import RiskSettings
from memesnipe.streams.codec import decode
from memesnipe.streams.trading import Order, OrderRejection
from tests.agents import riskmsgs as m

MINT = "Mint1pump"
KEY = MINT.encode()


def ev(partition: int, offset: int) -> Any:
    """The event fields the processor reads: the key and the offset in its topic-partition."""
    return SimpleNamespace(key=KEY, message=SimpleNamespace(partition=partition, offset=offset))


def inputs(signal_offset: int = 0) -> list[tuple[Any, str, Any]]:
    return [
        (ev(0, 0), "onchain", m.safe(MINT)),
        (ev(0, 0), "depth", m.depth(MINT)),
        (ev(0, signal_offset), "signals", m.signal("s1", MINT, t=1)),
    ]


def gate() -> RiskGate:
    return RiskGate(RiskLimits.from_settings(RiskSettings()))


def test_a_signal_after_its_facts_becomes_one_order_and_the_state_records_each_offset() -> None:
    states = {KEY: MintRiskState()}
    sends, touched = apply_gate(inputs(), states, gate(), ExposureBook(), m.kill(False), {})
    assert [(topic, key) for topic, key, _ in sends] == [("orders", KEY)]
    order = decode(sends[0][2], Order)
    assert order.order_id == order_id("inst-a", MINT, "s1") and order.amount_in > 0
    assert list(touched) == [KEY]
    st = states[KEY]
    assert all(st.already_applied(t, 0) for t in ("onchain", "depth", "signals"))


def test_inputs_at_or_below_the_applied_offsets_change_nothing_and_send_nothing() -> None:
    """A batch read again after a crash (its state written, its offsets not committed)."""
    states = {KEY: MintRiskState()}
    g = gate()
    apply_gate(inputs(), states, g, ExposureBook(), m.kill(False), {})
    sends, touched = apply_gate(inputs(), states, g, ExposureBook(), m.kill(False), {})
    assert sends == [] and touched == {}


def test_an_active_kill_switch_turns_the_entry_into_a_rejection_with_its_rule() -> None:
    states = {KEY: MintRiskState()}
    kill = m.kill(True, by="portfolio_monitor", reason="drawdown 21%")
    sends, _ = apply_gate(inputs(), states, gate(), ExposureBook(), kill, {})
    assert [t for t, _k, _v in sends] == ["rejections"]
    rej = decode(sends[0][2], OrderRejection)
    assert rej.rule == "kill_switch" and "drawdown 21%" in rej.reason
