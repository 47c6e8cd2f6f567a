"""The exposure book counts every order exactly once: pending until its fill shows in a position."""

from __future__ import annotations

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.ids import order_id
from memesnipe.streams.trading import Intent, Order, OrderState, OrderUpdate, Side, Venue
from tests.agents import riskmsgs as m


def order(
    sid: str,
    mint: str,
    amount: int = 100_000_000,
    *,
    t: float = 0.0,
    side: Side = Side.BUY,
    instance: str = "inst-a",
) -> Order:
    return Order(
        order_id=order_id(instance, mint, sid),
        signal_id=sid,
        instance_id=instance,
        family="f",
        mint=mint,
        ts=m.at(t),
        side=side,
        intent=Intent.ENTRY if side is Side.BUY else Intent.EXIT,
        venue=Venue.JUPITER,
        amount_in=amount,
    )


def ts(seconds: float) -> float:
    return m.at(seconds).timestamp()


def test_pending_entry_counts_until_the_position_reflects_its_fill() -> None:
    b = ExposureBook()
    o = order("s1", "M1")
    b.apply_order(o)
    assert (b.token_exposure("M1"), b.strategy_exposure("inst-a"), b.open_positions()) == (10**8, 10**8, 1)
    b.apply_order(o)  # the same order seen again through the view
    assert b.token_exposure("M1") == 10**8
    b.apply_fill(m.fill(o.order_id, "M1", t=5))
    assert b.token_exposure("M1") == 10**8  # filled, but the position does not show it yet
    b.apply_position(m.position("M1", 1_000, cost=10**8, unrealized=2 * 10**7, t=4))  # older than the fill
    assert b.token_exposure("M1") == 10**8 + 12 * 10**7
    b.apply_position(m.position("M1", 1_000, cost=10**8, unrealized=2 * 10**7, t=5))
    assert (b.token_exposure("M1"), b.open_positions()) == (12 * 10**7, 1)  # marked notional only
    assert b.holds("inst-a", "M1") and not b.holds("inst-b", "M1")


def test_closed_position_and_failed_order_release_exposure() -> None:
    b = ExposureBook()
    b.apply_position(m.position("M1", 1_000, cost=5 * 10**8, t=1))
    b.apply_order(order("s2", "M2", t=2))
    assert b.strategy_exposure("inst-a") == 6 * 10**8 and b.open_positions() == 2
    b.apply_position(m.position("M1", 0, t=3))
    b.apply_update(OrderUpdate(order_id=order_id("inst-a", "M2", "s2"), state=OrderState.FAILED, ts=m.at(3)))
    assert (b.strategy_exposure("inst-a"), b.open_positions(), b.token_exposure("M1")) == (0, 0, 0)


def test_late_position_update_does_not_overwrite_a_newer_one() -> None:
    b = ExposureBook()
    b.apply_position(m.position("M1", 0, t=10))
    b.apply_position(m.position("M1", 1_000, t=9))
    # a closed position is dropped; the late open one is accepted since nothing newer is held
    b2 = ExposureBook()
    b2.apply_position(m.position("M1", 1_000, cost=3, t=10))
    b2.apply_position(m.position("M1", 1_000, cost=7, t=9))
    assert b2.token_exposure("M1") == 3


def test_short_exposure_grows_when_the_price_rises() -> None:
    b = ExposureBook()
    b.apply_position(m.position("M1", 1_000, side=Side.SHORT, cost=10**9, unrealized=-2 * 10**8, t=1))
    assert b.token_exposure("M1") == 12 * 10**8


def test_pending_expires_after_wall_clock_ttl_and_rate_window_is_event_time() -> None:
    now = [1000.0]
    b = ExposureBook(pending_ttl_s=180, clock=lambda: now[0])
    for i in range(5):
        b.apply_order(order(f"s{i}", f"M{i}", t=float(i * 20)))  # event t = 0, 20, 40, 60, 80
        now[0] += 50  # sent at wall 1000, 1050, ..., 1200
    assert b.orders_in_window(ts(80)) == 3  # (20, 80]
    assert b.orders_in_window(ts(200)) == 0
    b.expire()  # wall 1250: sent before 1070 (1000, 1050) dropped
    assert b.strategy_exposure("inst-a") == 3 * 10**8
    assert b.knows_order(order_id("inst-a", "M0", "s0"))
    # a record read back from Kafka carries its own send time
    b.apply_order(order("late", "M9", t=0), sent_at=100.0)
    now[0] += 1  # expiry runs at most once per second
    b.expire()
    assert b.token_exposure("M9") == 0


def test_exit_pending_until_its_fill_reaches_the_position() -> None:
    b = ExposureBook()
    b.apply_position(m.position("M1", 1_000, t=1))
    ex = order("x1", "M1", amount=1_000, side=Side.SELL, t=2)
    b.apply_order(ex)
    assert b.exit_pending("inst-a", "M1") and b.strategy_exposure("inst-a") == 10**8  # exits add nothing
    b.apply_fill(m.fill(ex.order_id, "M1", side=Side.SELL, t=3))
    b.apply_position(m.position("M1", 0, t=3))
    assert not b.exit_pending("inst-a", "M1") and b.open_positions() == 0


def test_an_exit_stays_pending_until_a_state_that_booked_its_fill_not_one_marked_later() -> None:
    """A replay books fills long after later marks: the open position's updates then carry
    mark times past the exit's fill. Such a state has not booked the fill; dropping the pending
    exit on it let a second exit through the gate (a double sell, seen in a max-speed replay)."""
    import msgspec

    b = ExposureBook()
    b.apply_position(msgspec.structs.replace(m.position("M1", 1_000, t=1), fill_ts=m.at(1)))
    ex = order("x1", "M1", amount=1_000, side=Side.SELL, t=2)
    b.apply_order(ex)
    b.apply_fill(m.fill(ex.order_id, "M1", side=Side.SELL, t=2))
    marked_later = msgspec.structs.replace(m.position("M1", 1_000, t=90), fill_ts=m.at(1))
    b.apply_position(marked_later)  # open, marked at t=90, its latest fill the entry at t=1
    assert b.exit_pending("inst-a", "M1")  # a second exit is still refused (exit_pending)
    b.apply_fill(m.fill(ex.order_id, "M1", side=Side.SELL, t=2))  # seen again: still pending
    assert b.exit_pending("inst-a", "M1")
    closed = msgspec.structs.replace(m.position("M1", 0, t=90), fill_ts=m.at(2))
    b.apply_position(closed)
    assert not b.exit_pending("inst-a", "M1") and b.open_positions() == 0
