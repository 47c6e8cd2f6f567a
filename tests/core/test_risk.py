"""Every pre-trade rule refuses when it should (and only then); sizing is exact."""

from __future__ import annotations

from dataclasses import replace

import pytest

from memesnipe.core.risk import (
    EntryContext,
    RiskLimits,
    SafetyFacts,
    evaluate_entry,
    evaluate_exit,
    size_entry,
    venue_for,
)
from memesnipe.settings import RiskSettings
from memesnipe.streams.trading import Side, Venue

LIMITS = RiskLimits.from_settings(RiskSettings())
SAFE = SafetyFacts(False, False, 100.0, 20.0, ts=0.0)
# capital 100 SOL x exploration 0.02 x entry fraction 0.05 = 0.1 SOL at full strength
FULL = 100_000_000


def ctx(**over: object) -> EntryContext:
    base = EntryContext(
        now=100.0, side=Side.BUY, strength=1.0, depth_usd=1e6, depth_ts=90.0, sol_usd=150.0, safety=SAFE
    )
    return replace(base, **over)  # type: ignore[arg-type]


def test_defaults_approve_an_exploration_sized_buy_on_jupiter() -> None:
    d = evaluate_entry(ctx(), LIMITS)
    assert d.approved and d.amount_in == FULL and d.venue is Venue.JUPITER


def test_sizing_is_capital_x_weight_x_fraction_x_strength() -> None:
    assert size_entry(0.25, 0.5, LIMITS) == 100 * 10**9 * 0.25 * 0.05 * 0.5 == 625_000_000
    assert evaluate_entry(ctx(weight=0.25, strength=0.5), LIMITS).amount_in == 625_000_000
    assert size_entry(0.3, 1.7, LIMITS) == size_entry(0.3, 1.0, LIMITS)  # strength clamped to 1
    assert size_entry(-0.1, 1.0, LIMITS) == 0


def test_short_goes_to_drift() -> None:
    d = evaluate_entry(ctx(side=Side.SHORT, perp_market_index=7), LIMITS)
    assert d.approved and d.venue is Venue.DRIFT
    assert venue_for(Side.COVER) is Venue.DRIFT and venue_for(Side.SELL) is Venue.JUPITER


ENTRY_CASES = [
    ("bad_signal", ctx(side=Side.SELL)),
    ("no_perp_market", ctx(side=Side.SHORT)),
    ("kill_switch", ctx(kill_switch_active=True, kill_switch_reason="ops: incident")),
    ("mint_blocked", ctx(mint_blocked=True, block_reason="rug")),
    ("safety_unknown", ctx(safety=None)),
    ("safety_unknown", ctx(safety=SafetyFacts(False, False, None, 20.0))),
    ("mint_authority", ctx(safety=replace(SAFE, mint_authority_live=True))),
    ("freeze_authority", ctx(safety=replace(SAFE, freeze_authority_live=True))),
    ("lp_unlocked", ctx(safety=replace(SAFE, lp_locked_pct=89.9))),
    ("holder_concentration", ctx(safety=replace(SAFE, top10_holder_pct=60.1))),
    ("no_allocation", ctx(weight=0.0, allocation_reason="starved: sharpe -1.2")),
    ("min_order", ctx(strength=0.09)),  # 0.009 SOL < 0.01 SOL
    ("order_cap", ctx(weight=0.41)),  # 100 x 0.41 x 0.05 = 2.05 SOL > 2 SOL
    ("token_cap", ctx(token_exposure=4_900_000_001)),
    ("strategy_cap", ctx(strategy_exposure=1_900_000_001)),  # allocated 2 SOL at weight 0.02
    ("strategy_cap", ctx(weight=0.25, strategy_exposure=19_000_000_000)),  # absolute cap 20 SOL
    ("max_open_positions", ctx(open_positions=20)),
    ("no_depth", ctx(depth_usd=None)),
    ("no_depth", ctx(sol_usd=None)),
    ("stale_depth", ctx(depth_ts=100.0 - 601.0)),
    ("liquidity_cap", ctx(depth_usd=969.0)),  # $15 on $969 of pool: 15 / (484.5 + 15) = 300.3 bps
    ("order_rate", ctx(orders_last_min=60)),
]


@pytest.mark.parametrize(("rule", "c"), ENTRY_CASES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(ENTRY_CASES)])
def test_each_entry_rule_rejects_with_its_name_and_a_reason(rule: str, c: EntryContext) -> None:
    d = evaluate_entry(c, LIMITS)
    assert not d.approved and d.amount_in == 0
    assert d.rejection is not None and d.rejection.rule == rule and d.rejection.reason


@pytest.mark.parametrize(
    "c",
    [
        ctx(token_exposure=4_900_000_000),  # exactly at the cap is allowed
        ctx(strategy_exposure=1_900_000_000),
        ctx(open_positions=20, adds_position=False),  # adding to a held position opens none
        ctx(orders_last_min=59),
        ctx(depth_usd=971.0),  # $15 on $971 of pool: 299.7 bps <= 300 bps
        ctx(depth_ts=100.0 - 600.0),
        ctx(weight=0.4),  # 2 SOL exactly
        ctx(safety=replace(SAFE, lp_locked_pct=90.0, top10_holder_pct=60.0)),
    ],
)
def test_limits_are_inclusive_at_the_boundary(c: EntryContext) -> None:
    assert evaluate_entry(c, LIMITS).approved


def test_relaxed_data_requirements_let_unknown_mints_trade() -> None:
    relaxed = replace(LIMITS, require_safety=False, require_depth=False)
    assert evaluate_entry(ctx(safety=None, depth_usd=None), relaxed).approved
    # a known bad fact still refuses
    assert evaluate_entry(ctx(safety=SafetyFacts(mint_authority_live=True)), relaxed).rejection.rule == (
        "mint_authority"
    )


def test_first_rule_wins_kill_switch_before_caps() -> None:
    d = evaluate_entry(ctx(kill_switch_active=True, token_exposure=10**12, safety=None), LIMITS)
    assert d.rejection is not None and d.rejection.rule == "kill_switch"


def test_exit_sells_the_whole_position_even_past_every_entry_limit() -> None:
    d = evaluate_exit(Side.SELL, None, 123_456_789, Side.BUY, False)
    assert d.approved and d.amount_in == 123_456_789 and d.venue is Venue.JUPITER
    d = evaluate_exit(Side.COVER, 3, 5_000, Side.SHORT, False)
    assert d.approved and d.amount_in == 5_000 and d.venue is Venue.DRIFT


@pytest.mark.parametrize(
    ("rule", "args"),
    [
        ("no_position", (Side.SELL, None, 0, None, False)),
        ("wrong_side", (Side.COVER, 1, 10, Side.BUY, False)),
        ("exit_pending", (Side.SELL, None, 10, Side.BUY, True)),
        ("no_perp_market", (Side.COVER, None, 10, Side.SHORT, False)),
        ("bad_signal", (Side.BUY, None, 10, Side.BUY, False)),
    ],
)
def test_each_exit_rule_rejects(rule: str, args: tuple) -> None:
    d = evaluate_exit(*args)
    assert d.rejection is not None and d.rejection.rule == rule


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"MEMESNIPE_RISK__MIN_ORDER_LAMPORTS": "3000000000"}, "min_order_lamports"),
        ({"MEMESNIPE_RISK__EXPLORATION_WEIGHT": "0.5"}, "exploration_weight"),
        (
            {"MEMESNIPE_RISK__MAX_STRATEGY_WEIGHT": "0.9", "MEMESNIPE_RISK__MAX_TOTAL_WEIGHT": "0.5"},
            "max_strategy",
        ),
        ({"MEMESNIPE_RISK__MAX_ENTRY_IMPACT_BPS": "0"}, "MEMESNIPE_RISK__MAX_ENTRY_IMPACT_BPS"),
    ],
)
def test_inconsistent_risk_settings_stop_start_up_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], names: str
) -> None:
    from memesnipe.settings import SettingsError, load_settings

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError, match=names):
        load_settings()
