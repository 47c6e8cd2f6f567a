"""SOL/USD for lamport amounts: the same moment's price or none; the topic's last price on start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.sol_usd import SolUsd, SolUsdFollower, with_usd
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainEvent, OnChainKind, PriceEvent, SolPriceEvent, TradeDirection
from tests.support.kafka import create_topics

T0 = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
MINT = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"


def price(usd: float, at: datetime) -> SolPriceEvent:
    return SolPriceEvent(mint=SOL_MINT, ts=at, source="pyth", price_usd=usd)


def ev(kind: OnChainKind, lamports: int, at: datetime = T0, usd: float = 0.0) -> OnChainEvent:
    return OnChainEvent(mint=MINT, ts=at, kind=kind, amount_lamports=lamports, amount_usd=usd,
                        direction=TradeDirection.SELL if kind is OnChainKind.DEV_SELL else None)  # fmt: skip


def test_a_trades_sol_leg_gets_its_usd_at_the_same_moments_price() -> None:
    sol = SolUsd(max_age_s=60)
    sol.observe(price(200.0, T0 - timedelta(seconds=30)))
    sale, swap = with_usd([ev(OnChainKind.DEV_SELL, 7_500_000_000), ev(OnChainKind.SWAP, 1_000_000)], sol)
    assert sale.amount_usd == 1_500.0 and swap.amount_usd == 0.2
    assert sale.amount_lamports == 7_500_000_000  # the SOL amount stays


def test_an_lp_add_is_worth_twice_its_sol_side() -> None:
    sol = SolUsd()
    sol.observe(price(150.0, T0))
    (add,) = with_usd([ev(OnChainKind.LP_ADD, 10_000_000_000)], sol)
    assert add.amount_usd == 3_000.0


def test_no_usd_from_a_price_too_far_from_the_event_or_no_price_at_all() -> None:
    sol = SolUsd(max_age_s=60)
    late = ev(OnChainKind.SWAP, 5_000_000_000, at=T0 + timedelta(minutes=5))
    assert with_usd([late], sol)[0].amount_usd == 0.0  # no price yet
    sol.observe(price(200.0, T0))
    assert with_usd([late], sol)[0].amount_usd == 0.0  # 5 min from the price
    backfilled = ev(OnChainKind.SWAP, 5_000_000_000, at=T0 - timedelta(hours=1))
    assert with_usd([backfilled], sol)[0].amount_usd == 0.0  # an old event is not priced today


def test_usd_already_known_no_sol_leg_and_other_events_pass_unchanged() -> None:
    sol = SolUsd()
    sol.observe(price(200.0, T0))
    known = ev(OnChainKind.SWAP, 5_000_000_000, usd=999.0)
    no_leg = ev(OnChainKind.SWAP, 0)
    px = PriceEvent(mint=MINT, ts=T0, price_usd=1.0)
    assert with_usd([known, no_leg, px], sol) == [known, no_leg, px]


def test_the_newest_positive_price_wins() -> None:
    sol = SolUsd()
    sol.observe(price(200.0, T0))
    sol.observe(price(190.0, T0 - timedelta(seconds=10)))  # older: ignored
    sol.observe(price(0.0, T0 + timedelta(seconds=10)))  # not a price
    assert (sol.price, sol.ts) == (200.0, T0)


@pytest.mark.integration
async def test_the_follower_starts_from_the_topics_last_price_then_follows(isolated_env) -> None:
    await create_topics(isolated_env, ["sol_price"])
    settings = isolated_env.settings()
    now = datetime.now(UTC)
    async with Publisher(settings) as pub:
        for i, usd in enumerate([180.0, 185.0, 190.0]):
            await pub.publish("sol_price", SOL_MINT, price(usd, now - timedelta(seconds=30 - i)))
        await pub.flush()
    follower = SolUsdFollower(settings, every_s=0.0)
    try:
        sol = await follower.refresh()
        assert sol.price == 190.0 and sol.at(now) == 190.0
        async with Publisher(settings) as pub:
            await pub.publish("sol_price", SOL_MINT, price(195.0, now))
            await pub.flush()
        for _ in range(50):
            if (await follower.current()).price == 195.0:
                break
        assert follower.sol.price == 195.0
    finally:
        await follower.aclose()
