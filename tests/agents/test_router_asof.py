"""The paper router's as-of join: an order is filled at the mint's price and depth as of its event
time (``order.ts``, the signal's), never at marks consumed ahead of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from solders.keypair import Keypair

from memesnipe.agents.routing import Router, market_view
from memesnipe.backtest.execution import paper_plan
from memesnipe.core.paper_fill import MarketView
from memesnipe.metrics import ASOF_FALLBACKS
from memesnipe.settings import load_settings
from memesnipe.streams.market import DepthEvent, DepthLevel, PriceEvent
from memesnipe.streams.trading import DepthStamp, Intent, Order, Side, Venue
from memesnipe.tables.orders import MarketMark, dump, load_mark

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINT = "So11111111111111111111111111111111111111112"


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def order(t: float, **kw: object) -> Order:
    base: dict[str, object] = dict(
        order_id="a" * 32,
        signal_id="s1",
        instance_id="i1",
        family="f",
        mint=MINT,
        ts=at(t),
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=100_000_000,
        slippage_bps=50,
        price_sol=0.005,
        price_usd=0.9,
    )
    base.update(kw)
    return Order(**base)  # type: ignore[arg-type]


def bare(t: float, **kw: object) -> Order:
    """An order without a price stamp (the router's history decides its price)."""
    return order(t, price_sol=0.0, price_usd=0.0, **kw)


def price(t: float, sol: float, liq: float = 0.0) -> PriceEvent:
    return PriceEvent(mint=MINT, ts=at(t), price_sol=sol, price_usd=sol * 150, decimals=6, liquidity_usd=liq)


def depth(t: float, impact: float, liq: float = 0.0) -> DepthEvent:
    return DepthEvent(mint=MINT, ts=at(t), levels=[DepthLevel(1_000.0, impact)], liquidity_usd=liq)


def fallbacks(stage: str) -> float:
    return ASOF_FALLBACKS.labels(stage=stage)._value.get()


def test_market_view_is_as_of_the_order_time_when_later_marks_exist() -> None:
    mark = MarketMark()
    for ev in (price(0, 0.001), depth(0, 10.0), price(5, 0.002), depth(6, 20.0)):
        mark.apply_price(ev) if isinstance(ev, PriceEvent) else mark.apply_depth(ev)
    for ev in (price(20, 0.009), depth(21, 900.0)):  # consumed before the order at t=7
        mark.apply_price(ev) if isinstance(ev, PriceEvent) else mark.apply_depth(ev)
    assert mark.price_sol == 0.009 and mark.levels == [(1_000.0, 900.0)]  # latest consumed
    before = (fallbacks("router.price"), fallbacks("router.depth"))
    view = market_view(bare(7), mark)
    assert (view.price_sol, view.levels) == (0.002, ((1_000.0, 20.0),))
    view = market_view(bare(5.5), mark)
    assert (view.price_sol, view.levels) == (0.002, ((1_000.0, 10.0),))
    view = market_view(bare(30), mark)
    assert (view.price_sol, view.levels) == (0.009, ((1_000.0, 900.0),))
    view = market_view(order(-1), mark)  # before every mark: the order's own price, no depth
    assert (view.price_sol, view.price_usd, view.levels) == (0.005, 0.9, ())
    assert (fallbacks("router.price"), fallbacks("router.depth")) == before


def test_liquidity_is_as_of_the_order_time_too() -> None:
    mark = MarketMark()
    mark.apply_price(price(0, 0.001, liq=10_000.0))
    mark.apply_depth(DepthEvent(mint=MINT, ts=at(3), liquidity_usd=20_000.0))
    mark.apply_price(price(9, 0.001, liq=90_000.0))
    assert market_view(order(1), mark).liquidity_usd == 10_000.0
    assert market_view(order(3), mark).liquidity_usd == 20_000.0
    assert market_view(order(9), mark).liquidity_usd == 90_000.0


async def test_the_paper_router_fills_at_the_price_as_of_the_order() -> None:
    router = Router(settings=load_settings(), payer=str(Keypair().pubkey()))
    mark = MarketMark()
    mark.apply_price(price(0, 0.001))
    mark.apply_depth(depth(0, 10.0))
    mark.apply_price(price(50, 0.004))  # a later mark, consumed before the order
    mark.apply_depth(depth(50, 500.0))
    o = bare(10)
    req = await router.route(o, mark)
    assert req.paper and req.meta["model"] == "depth"
    as_of = MarketView(price_sol=0.001, price_usd=0.15, decimals=6, levels=((1_000.0, 10.0),))
    _, expected = router.paper_build(o, as_of, Keypair().pubkey())
    assert {k: req.meta[k] for k in expected.to_meta()} == expected.to_meta()
    assert 0.001 < req.meta["price_sol"] < 0.0011
    late = await router.route(bare(60, order_id="b" * 32), mark)
    assert late.meta["price_sol"] > 0.004 and late.meta["impact_bps"] > req.meta["impact_bps"]


def test_history_is_bounded_and_an_evicted_mark_falls_back_to_the_latest_counted() -> None:
    mark = MarketMark()
    for i in range(200):
        mark.apply_price(price(i, 0.001 + i * 1e-6), keep=16)
        mark.apply_depth(depth(i, float(i)), keep=8)
    assert len(mark.price_hist) == 16 and len(mark.depth_hist) == 8
    mark.apply_price(price(1, 7.0), keep=16)  # late and older than everything kept: dropped at once
    assert len(mark.price_hist) == 16 and all(p.price_sol < 1 for p in mark.price_hist)
    assert mark.price_sol == 0.001 + 199 * 1e-6  # the latest mark never moves back in time
    before = (fallbacks("router.price"), fallbacks("router.depth"))
    view = market_view(order(10), mark)
    # a stamped order: the price it was stamped with as of its own event time (not counted)
    assert (view.price_sol, view.price_usd) == (0.005, 0.9) and view.price_sol != mark.price_sol
    assert view.levels == ((1_000.0, 199.0),)  # depth (unstamped): the latest consumed snapshot
    assert (fallbacks("router.price"), fallbacks("router.depth")) == (before[0], before[1] + 1)
    view = market_view(bare(10), mark)  # unstamped: the latest consumed price, counted
    assert view.price_sol == mark.price_sol and fallbacks("router.price") == before[0] + 1
    view = market_view(bare(195.5), mark)
    assert view.price_sol == 0.001 + 195 * 1e-6 and view.levels == ((1_000.0, 195.0),)


def test_mark_round_trips_and_an_old_mark_without_history_still_loads() -> None:
    mark = MarketMark()
    mark.apply_price(price(1, 0.001, liq=5.0))
    mark.apply_depth(depth(2, 3.0))
    assert load_mark(dump(mark)) == mark
    old = (
        b'{"price_sol":0.003,"price_usd":0.45,"decimals":9,"liquidity_usd":0.0,'
        b'"levels":[[1000.0,40.0]],"price_ts":"2026-01-01T00:00:10Z","depth_ts":"2026-01-01T00:00:10Z"}'
    )
    legacy = load_mark(old)
    assert legacy is not None and legacy.price_sol == 0.003 and len(legacy.price_hist) == 1
    view = market_view(bare(20), legacy)
    assert (view.price_sol, view.decimals, view.levels) == (0.003, 9, ((1_000.0, 40.0),))
    before = fallbacks("router.price")
    view = market_view(bare(5), legacy)  # older than what the old mark knew: the latest, counted
    assert (view.price_sol, view.decimals) == (0.003, 9) and fallbacks("router.price") == before + 1
    view = market_view(order(5), legacy)  # a stamped order: its own price, not counted
    assert (view.price_sol, view.decimals) == (0.005, 9) and fallbacks("router.price") == before + 1
    legacy.apply_price(price(30, 0.006))
    assert load_mark(dump(legacy)) == legacy
    assert market_view(bare(20), legacy).price_sol == 0.003
    assert market_view(bare(31), legacy).price_sol == 0.006


STAMP = DepthStamp(levels=((1_000.0, 33.0),), liquidity_usd=12_345.0)


def test_an_evicted_depth_uses_the_orders_depth_stamp_uncounted() -> None:
    mark = MarketMark()
    for i in range(50):
        mark.apply_price(price(i, 0.001), keep=16)
        mark.apply_depth(depth(i, float(i), liq=1_000.0 + i), keep=8)
    before = fallbacks("router.depth")
    view = market_view(order(10, depth=STAMP), mark)  # t=10: evicted (the history holds 42..49)
    assert (view.levels, view.liquidity_usd) == (((1_000.0, 33.0),), 12_345.0)
    assert fallbacks("router.depth") == before  # the stamp is not a fallback
    unstamped = market_view(order(10), mark)  # e.g. a position manager exit: the latest consumed
    assert (unstamped.levels, unstamped.liquidity_usd) == (((1_000.0, 49.0),), 1_049.0)
    assert fallbacks("router.depth") == before + 1
    empty = market_view(order(10, depth=DepthStamp()), mark)  # the runner knew no depth yet
    assert (empty.levels, empty.liquidity_usd) == ((), 0.0)
    assert fallbacks("router.depth") == before + 1


def test_the_stamp_decides_even_where_the_history_covers_the_order_time() -> None:
    """At equal event times the router's history holds the depth snapshot stamped ``ts ==
    order.ts``; the backtester (price before depth at the same instant) and so the runner's stamp
    still see the previous one. The stamp wins; an unstamped order keeps the as-of history."""
    mark = MarketMark()
    mark.apply_price(price(0, 0.001, liq=5_000.0))
    mark.apply_depth(depth(0, 10.0, liq=6_000.0))
    mark.apply_price(price(5, 0.002))
    mark.apply_depth(depth(5, 50.0, liq=7_000.0))  # same instant as the order
    stamp = DepthStamp(levels=((1_000.0, 10.0),), liquidity_usd=6_000.0)  # the backtester's view
    before = (fallbacks("router.price"), fallbacks("router.depth"))
    view = market_view(bare(5, depth=stamp), mark)
    assert (view.price_sol, view.levels, view.liquidity_usd) == (0.002, stamp.levels, 6_000.0)
    unstamped = market_view(bare(5), mark)
    assert (unstamped.price_sol, unstamped.levels, unstamped.liquidity_usd) == (
        0.002,
        ((1_000.0, 50.0),),
        7_000.0,
    )
    covered = market_view(bare(45.5, depth=STAMP), mark)  # long after every snapshot: still the stamp
    assert (covered.levels, covered.liquidity_usd) == (STAMP.levels, STAMP.liquidity_usd)
    assert (fallbacks("router.price"), fallbacks("router.depth")) == before
    assert market_view(order(5, depth=stamp), None).levels == stamp.levels  # no mark yet: the stamp


def test_an_evicted_depth_with_the_price_still_known_uses_the_stamp_too() -> None:
    mark = MarketMark()
    mark.apply_price(price(0, 0.001, liq=5_000.0))
    for i in range(1, 20):
        mark.apply_depth(depth(i, float(i)), keep=4)
    view = market_view(bare(2, depth=STAMP), mark)
    assert (view.price_sol, view.levels, view.liquidity_usd) == (0.001, STAMP.levels, STAMP.liquidity_usd)


def test_a_stamped_price_decides_even_before_the_prices_up_to_the_order_are_read() -> None:
    """In a replay the router can read an order before the prices that precede it: its history
    then says "as of t=10 the price was the one at t=0", which is wrong. The order's own price,
    stamped as of its moment, decides (and is no fallback)."""
    mark = MarketMark()
    mark.apply_price(price(0, 0.001))
    before = fallbacks("router.price")
    view = market_view(order(10, price_sol=0.003, price_usd=0.45), mark)
    assert (view.price_sol, view.price_usd, view.decimals) == (0.003, 0.45, 6)
    assert fallbacks("router.price") == before
    assert market_view(bare(10), mark).price_sol == 0.001  # unstamped: the history's as-of


async def test_an_evicted_depth_fills_exactly_as_the_backtester_with_the_stamped_view() -> None:
    """The backtester fills at the price and last depth snapshot as of the signal (``paper_plan``
    over that view); the router, its histories evicted, rebuilds that view from the order's stamps."""
    settings = load_settings()
    router = Router(settings=settings, payer=str(Keypair().pubkey()))
    mark = MarketMark()
    for i in range(100):  # a replay consumed far ahead of the order
        mark.apply_price(price(1_000 + i, 0.004), keep=16)
        mark.apply_depth(depth(1_000 + i, 400.0, liq=9.0), keep=8)
    o = order(10, depth=STAMP, price_sol=0.001, price_usd=0.15)
    req = await router.route(o, mark)
    backtester = MarketView(
        price_sol=0.001, price_usd=0.15, decimals=6, levels=STAMP.levels, liquidity_usd=12_345.0
    )
    expected = paper_plan(o, backtester, settings).to_meta()
    assert {k: req.meta[k] for k in expected} == expected and req.meta["model"] == "depth"
