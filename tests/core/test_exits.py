"""One test per exit type, plus precedence and per-strategy overrides."""

from __future__ import annotations

import pytest

from memesnipe.core.exits import ExitReason, ExitRules, check_exit
from memesnipe.core.trailing_stop import Direction, TrailingStop

LONG, SHORT = Direction.LONG, Direction.SHORT
RULES = ExitRules(
    stop=TrailingStop(stop_loss=0.10, activation_offset=0.03, trail=0.02), take_profit=0.50, max_hold_s=3600
)
T0 = 1_700_000_000.0


def _check(
    price: float,
    best: float | None = None,
    now: float = T0 + 60,
    direction: Direction = LONG,
    rug: str = "",
    rules: ExitRules = RULES,
    flatten: str = "",
):
    best = price if best is None else best
    return check_exit(rules, direction, 100.0, best, price, T0, now, rug=rug, flatten=flatten)


def test_holding_inside_all_limits_gives_no_exit() -> None:
    assert _check(100.0) is None
    assert _check(95.0, best=102.0) is None


def test_fixed_stop_loss() -> None:
    d = _check(90.0, best=102.0)
    assert d is not None and d.reason is ExitReason.STOP_LOSS
    assert d.detail == "stop_loss: price 90 <= stop 90"


def test_trailing_stop_after_activation() -> None:
    assert _check(101.93, best=104.0) is None  # stop 101.92
    d = _check(101.4, best=104.0)
    assert d is not None and d.reason is ExitReason.TRAILING_STOP
    assert d.detail == "trailing_stop: price 101.4 <= stop 101.92"


def test_take_profit() -> None:
    assert _check(149.99) is None
    d = _check(150.0)
    assert d is not None and d.reason is ExitReason.TAKE_PROFIT
    assert d.detail == "take_profit: price 150 >= target 150"


def test_max_hold_time_in_event_time() -> None:
    assert _check(100.0, now=T0 + 3599) is None
    d = _check(100.0, now=T0 + 3600)
    assert d is not None and d.reason is ExitReason.MAX_HOLD
    assert d.detail == "max_hold: held 3600s >= 3600s"


def test_rug_forces_exit_even_in_profit() -> None:
    d = _check(120.0, rug="LP removed")
    assert d is not None and d.reason is ExitReason.RUG
    assert d.detail == "rug: LP removed"


def test_stop_wins_over_max_hold() -> None:
    d = _check(89.0, now=T0 + 7200)
    assert d is not None and d.reason is ExitReason.STOP_LOSS


def test_short_stop_take_profit_and_trailing() -> None:
    d = _check(110.0, best=99.0, direction=SHORT)
    assert d is not None and d.reason is ExitReason.STOP_LOSS and ">= stop 110" in d.detail
    d = _check(50.0, best=50.0, direction=SHORT)
    assert d is not None and d.reason is ExitReason.TAKE_PROFIT
    assert _check(91.7, best=90.0, direction=SHORT) is None  # stop 91.8
    d = _check(91.8, best=90.0, direction=SHORT)
    assert d is not None and d.reason is ExitReason.TRAILING_STOP


def test_zero_disables_take_profit_and_max_hold() -> None:
    rules = ExitRules(stop=RULES.stop)
    assert _check(1000.0, now=T0 + 10**7, rules=rules) is None


def test_overrides_replace_only_given_keys() -> None:
    r = RULES.with_overrides({"trail": 0.05, "max_hold_s": 60})
    assert r.stop == TrailingStop(stop_loss=0.10, activation_offset=0.03, trail=0.05)
    assert (r.take_profit, r.max_hold_s) == (0.50, 60.0)
    assert RULES.with_overrides(None) is RULES


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"trailing": 0.1}, "unknown exit parameter"),
        ({"trail": "wide"}, "must be numbers"),
        ({"stop_loss": 2}, "stop_loss"),
        ({"take_profit": -1}, "take_profit"),
    ],
)
def test_bad_overrides_are_refused(params: dict, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        RULES.with_overrides(params)


def test_flatten_forces_longs_and_shorts_out_but_rug_is_named_first() -> None:
    d = _check(120.0, flatten="kill switch by ops: drawdown")
    assert (
        d is not None
        and d.reason is ExitReason.FLATTEN
        and d.detail == "flatten: kill switch by ops: drawdown"
    )
    d = _check(80.0, direction=SHORT, flatten="x")
    assert d is not None and d.reason is ExitReason.FLATTEN
    d = _check(120.0, rug="LP removed", flatten="x")
    assert d is not None and d.reason is ExitReason.RUG
