"""Properties over arbitrary valid events: no step raises, and state never grows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memesnipe.core.strategies import InProcessRunner, engine_for, families
from memesnipe.core.strategies.defaults import SIMULATED_FOLLOWED_WALLETS, default_specs
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import (
    BridgeEvent,
    DepthEvent,
    DepthLevel,
    FundingEvent,
    OnChainEvent,
    OnChainKind,
    PriceEvent,
    SocialEvent,
    SolPriceEvent,
    TradeDirection,
)

MINTS = st.sampled_from(["MintA", "MintB"])
TS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 3), timezones=st.just(UTC))
F = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
POS = st.one_of(st.just(0.0), st.floats(min_value=1e-12, max_value=1e9, allow_nan=False))
INT = st.integers(min_value=-10, max_value=10**7)
OPT_F = st.none() | F
OPT_B = st.none() | st.booleans()

EVENTS = st.one_of(
    st.builds(
        PriceEvent, mint=MINTS, ts=TS, price_usd=POS | F, price_sol=F, volume_usd_5m=F, liquidity_usd=F
    ),
    st.builds(SocialEvent, mint=MINTS, ts=TS, mentions=INT, unique_authors=INT, window_s=INT),
    st.builds(DepthEvent, mint=MINTS, ts=TS, levels=st.lists(st.builds(DepthLevel, F, F), max_size=3)),
    st.builds(BridgeEvent, mint=MINTS, ts=TS, amount_usd=F),
    st.builds(
        FundingEvent,
        mint=MINTS,
        ts=TS,
        market_index=st.integers(-1, 80),
        funding_rate_hourly=F,
        mark_price_usd=POS | F,
        oracle_price_usd=F,
    ),
    st.builds(SolPriceEvent, mint=MINTS, ts=TS, price_usd=F),
    st.builds(
        OnChainEvent,
        mint=MINTS,
        ts=TS,
        kind=st.sampled_from(list(OnChainKind)),
        signature=st.sampled_from(["", "sigA"]),
        wallet=st.sampled_from(["", "OtherWallet", *SIMULATED_FOLLOWED_WALLETS[:2]]),
        direction=st.none() | st.sampled_from(list(TradeDirection)),
        amount_lamports=INT,
        amount_usd=F,
        amount_tokens=F,
        wallet_balance_tokens=OPT_F,
        holders=st.none() | INT,
        recipients=st.none() | INT,
        mint_authority_live=OPT_B,
        freeze_authority_live=OPT_B,
        lp_locked_pct=OPT_F,
        lp_unlock_ts=st.none() | TS,
        top10_holder_pct=OPT_F,
        pool_liquidity_usd=OPT_F,
    ),
)

SPECS = [
    *default_specs(),
    StrategySpec(
        instance_id="mr.short",
        family="mean_revert_1h",
        params={"allow_short": True, "min_std": 0.0, "min_samples": 5},
    ),
    StrategySpec(
        instance_id="kor.wrap", family="korean_time_burst", params={"kst_open_hour": 22, "kst_close_hour": 3}
    ),
]


def shape(state: dict[str, Any]) -> dict[str, Any]:
    return {k: (len(v) if isinstance(v, list) else type(v).__name__) for k, v in state.items() if k[0] != "_"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENTS, max_size=80), st.integers(0, 3))
def test_no_step_raises_and_every_state_keeps_its_initial_shape(events, shift_days):
    events = [
        e.__class__(
            **{**{f: getattr(e, f) for f in e.__struct_fields__}, "ts": e.ts + timedelta(days=shift_days)}
        )
        for e in events
    ]
    engine = engine_for(SPECS)
    runner = InProcessRunner(engine)
    runner.run_events(events)
    runner.run_events(events, start_offset=len(events))  # and once more, later offsets
    instances = engine.instances
    for key, state in runner.states.items():
        inst = instances[key.split("|")[0]]
        assert shape(state) == shape(inst.initial_state()), inst.family
        assert set(state["_off"]) <= {"price", "social", "depth", "bridge", "funding", "sol_price", "onchain"}


def test_every_family_is_covered_by_the_property():
    assert {s.family for s in SPECS} >= {f for f in families() if not f.startswith("test_")}
