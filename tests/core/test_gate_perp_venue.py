"""No live perp venue: a short thesis degrades to 'exit longs and block entries' (risk gate,
position manager's rule, backtester)."""

from __future__ import annotations

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.core.perp_venue import PERP_VENUE_DOWN, VenueStatus
from memesnipe.core.position_messages import is_venue_degrade, wants_rejection
from memesnipe.core.risk import RiskLimits
from memesnipe.settings import RiskSettings
from memesnipe.streams.trading import Order, OrderRejection, Side
from tests.agents import riskmsgs as m

PAUSED = VenueStatus("drift-v2", False, "paused (exchange_status 0x08: FillPaused)", ("FillPaused",))


def gate(status: VenueStatus | None = None) -> RiskGate:
    g = RiskGate(RiskLimits.from_settings(RiskSettings()), seen_max=64)
    if status is not None:
        g.perp_venue = status
    return g


def ready() -> MintRiskState:
    st = MintRiskState()
    apply_onchain(st, m.safe("M1"))
    apply_depth(st, m.depth("M1"))
    return st


def test_a_short_with_the_venue_paused_is_refused_with_the_reason_and_blocks_entries() -> None:
    st, book, g = ready(), ExposureBook(), gate(PAUSED)
    out = g.on_signal(st, m.signal("s1", "M1", side=Side.SHORT, perp=4, t=1), book, None, {})
    assert isinstance(out, OrderRejection) and out.rule == PERP_VENUE_DOWN
    assert (
        "no live perp venue (drift-v2: paused" in out.reason and "exit longs and block entries" in out.reason
    )
    assert is_venue_degrade(out) and wants_rejection(out)  # the position manager exits the longs
    buy = g.on_signal(st, m.signal("s2", "M1", t=2), book, None, {})
    assert isinstance(buy, OrderRejection) and buy.rule == "mint_blocked"
    assert "no live perp venue" in buy.reason


def test_with_the_venue_live_the_same_short_is_an_order() -> None:
    live = VenueStatus("drift-v2", True, "live (exchange_status 0x00)")
    for g in (gate(), gate(live)):
        out = g.on_signal(
            ready(), m.signal("s1", "M1", side=Side.SHORT, perp=4, t=1), ExposureBook(), None, {}
        )
        assert isinstance(out, Order) and out.side is Side.SHORT


def test_exits_still_pass_while_the_venue_is_paused() -> None:
    st, book = ready(), ExposureBook()
    book.apply_position(m.position("M1", qty=1_000, side=Side.SHORT, perp=4))
    out = gate(PAUSED).on_signal(st, m.signal("c1", "M1", side=Side.COVER, perp=4, t=3), book, None, {})
    assert isinstance(out, Order) and out.side is Side.COVER
