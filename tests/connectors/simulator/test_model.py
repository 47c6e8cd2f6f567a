from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest

from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.streams import (
    BridgeEvent,
    DepthEvent,
    FundingEvent,
    OnChainEvent,
    OnChainKind,
    PriceEvent,
    SocialEvent,
    SolPriceEvent,
    encode,
)

START = datetime(2026, 3, 1, tzinfo=UTC)


def take(sim: MarketSimulator, n: int):
    return list(islice(sim.events(), n))


def test_same_seed_same_stream_different_seed_different_stream():
    a = take(MarketSimulator(11, 8, START), 5000)
    b = take(MarketSimulator(11, 8, START), 5000)
    c = take(MarketSimulator(12, 8, START), 5000)
    assert [encode(e) for e in a] == [encode(e) for e in b]
    assert [encode(e) for e in a] != [encode(e) for e in c]


def test_all_seven_event_types_appear():
    events = take(MarketSimulator(3, 20, START), 200_000)
    types = {type(e) for e in events}
    all_types = {PriceEvent, SocialEvent, DepthEvent, BridgeEvent, FundingEvent, SolPriceEvent, OnChainEvent}
    assert all_types <= types
    kinds = Counter(e.kind for e in events if isinstance(e, OnChainEvent))
    for kind in (OnChainKind.SAFETY, OnChainKind.DEV_SELL, OnChainKind.LP_REMOVE, OnChainKind.AIRDROP):
        assert kinds[kind] > 0, kind


def test_event_time_is_monotonic_and_advances_by_tick():
    sim = MarketSimulator(5, 4, START, tick_s=2.0)
    events = take(sim, 3000)
    times = [e.ts for e in events]
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times)
    assert times[-1] - times[0] == timedelta(seconds=2.0 * sim.tick)


def test_pumps_and_rugs_move_prices_like_pumps_and_rugs():
    sim = MarketSimulator(21, 30, START, pump_prob=0.02, rug_prob=0.01)
    first: dict[str, float] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for e in islice(sim.events(), 150_000):
        if isinstance(e, PriceEvent):
            first.setdefault(e.mint, e.price_sol)
            low[e.mint] = min(low.get(e.mint, e.price_sol), e.price_sol)
            high[e.mint] = max(high.get(e.mint, e.price_sol), e.price_sol)
    ups = [m for m in first if high[m] / first[m] > 2.0]
    crashes = [m for m in first if low[m] / first[m] < 0.3]
    assert ups, "some token should at least double during a pump"
    assert crashes, "some token should crash by 70 %+ in a rug"


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        MarketSimulator(1, 1, datetime(2026, 1, 1))


def test_prices_never_imply_a_market_cap_below_the_floor():
    from memesnipe.connectors.simulator.model import MIN_MCAP_SOL

    sim = MarketSimulator(21, 30, START, pump_prob=0.02, rug_prob=0.05)
    supply = {m.mint: m.supply for m in sim.mints}
    for e in islice(sim.events(), 100_000):
        if isinstance(e, PriceEvent):
            assert e.price_sol * supply[e.mint] >= MIN_MCAP_SOL * (1 - 1e-9)


def test_followed_wallets_buy_and_sell_with_sol_legs_without_changing_the_rest_of_the_stream(monkeypatch):
    from memesnipe.connectors.simulator import model
    from memesnipe.core.strategies.defaults import SIMULATED_FOLLOWED_WALLETS
    from memesnipe.streams.market import TradeDirection

    def followed(e) -> bool:
        return (
            isinstance(e, OnChainEvent)
            and e.kind is OnChainKind.SWAP
            and e.wallet in SIMULATED_FOLLOWED_WALLETS
        )

    events = take(MarketSimulator(5, 8, START, tick_s=15.0, pump_prob=0.02), 8000)
    swaps = [e for e in events if followed(e)]
    assert Counter(e.direction for e in swaps).keys() == {TradeDirection.BUY, TradeDirection.SELL}
    assert all(e.amount_lamports > 0 and e.amount_tokens > 0 and e.amount_usd > 0 for e in swaps)
    held: dict[tuple[str, str], float] = {}
    for e in swaps:  # a wallet sells exactly what it bought, never what it does not hold
        key = (e.wallet, e.mint)
        if e.direction is TradeDirection.BUY:
            assert key not in held
            held[key] = e.amount_tokens
        else:
            assert held.pop(key) == e.amount_tokens
    monkeypatch.setattr(model, "SIMULATED_FOLLOWED_WALLETS", ())
    without = take(MarketSimulator(5, 8, START, tick_s=15.0, pump_prob=0.02), 8000 - len(swaps))
    assert [encode(e) for e in events if not followed(e)] == [encode(e) for e in without]
