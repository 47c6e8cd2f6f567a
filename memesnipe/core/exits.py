"""Exit rules for an open position: rug, stop (fixed or trailing), take-profit, max hold time.

Pure: the caller passes the entry and best prices, the current price and times in event-time
epoch seconds. The first rule that fires wins, in the order of :class:`ExitReason`'s urgency:
a rug signal first (get out regardless of price), then a kill switch that asks to flatten, then
the stop, then take-profit, then age.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from memesnipe.core.trailing_stop import Direction, TrailingStop


class ExitReason(StrEnum):
    RUG = "rug"
    FLATTEN = "flatten"
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    TAKE_PROFIT = "take_profit"
    MAX_HOLD = "max_hold"
    STRATEGY = "strategy"
    """Not decided by :func:`check_exit`: a strategy's own exit that reached the risk gate before
    its entry had filled; the position manager sends it for the strategy once it has."""


@dataclass(frozen=True, slots=True)
class ExitDecision:
    reason: ExitReason
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True, slots=True)
class ExitRules:
    """All exit parameters of one strategy instance. ``take_profit`` and ``max_hold_s`` of 0
    disable those rules; the stop (``stop.stop_loss``) is always on."""

    stop: TrailingStop
    take_profit: float = 0.0
    max_hold_s: float = 0.0

    def __post_init__(self) -> None:
        if self.take_profit < 0.0:
            raise ValueError(f"take_profit must be >= 0 (0 disables), got {self.take_profit!r}")
        if self.max_hold_s < 0.0:
            raise ValueError(f"max_hold_s must be >= 0 (0 disables), got {self.max_hold_s!r}")

    def with_overrides(self, params: Mapping[str, Any] | None) -> ExitRules:
        """These rules with the keys present in ``params`` replaced (a strategy's
        ``params["exits"]``). Unknown keys or bad values raise ValueError naming them."""
        if not params:
            return self
        known = {"stop_loss", "activation_offset", "trail", "take_profit", "max_hold_s"}
        unknown = set(params) - known
        if unknown:
            raise ValueError(f"unknown exit parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        try:
            vals = {k: float(v) for k, v in params.items()}
        except (TypeError, ValueError) as exc:
            raise ValueError(f"exit parameters must be numbers: {exc}") from None
        stop = replace(
            self.stop,
            **{k: vals[k] for k in ("stop_loss", "activation_offset", "trail") if k in vals},
        )
        return replace(
            self,
            stop=stop,
            take_profit=vals.get("take_profit", self.take_profit),
            max_hold_s=vals.get("max_hold_s", self.max_hold_s),
        )


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def check_exit(
    rules: ExitRules,
    direction: Direction,
    entry: float,
    best: float,
    price: float,
    opened_at_s: float,
    now_s: float,
    *,
    rug: str = "",
    flatten: str = "",
) -> ExitDecision | None:
    """The exit that ``price`` at ``now_s`` calls for, or None to keep holding.

    ``best`` must already include ``price`` (see ``trailing_stop.update_best``); ``rug`` is the
    reason of a rug signal for this token, ``flatten`` that of a kill switch asking to flatten;
    empty when there is none.
    """
    if rug:
        return ExitDecision(ExitReason.RUG, f"rug: {rug}")
    if flatten:
        return ExitDecision(ExitReason.FLATTEN, f"flatten: {flatten}")
    long = direction is Direction.LONG
    stop = rules.stop.stop_price(entry, best, direction)
    if (price <= stop) if long else (price >= stop):
        trailing = rules.stop.is_trailing(entry, best, direction)
        reason = ExitReason.TRAILING_STOP if trailing else ExitReason.STOP_LOSS
        op = "<=" if long else ">="
        return ExitDecision(reason, f"{reason.value}: price {_fmt(price)} {op} stop {_fmt(stop)}")
    if rules.take_profit > 0.0:
        target = entry + entry * rules.take_profit if long else entry - entry * rules.take_profit
        if (price >= target) if long else (price <= target):
            op = ">=" if long else "<="
            return ExitDecision(
                ExitReason.TAKE_PROFIT, f"take_profit: price {_fmt(price)} {op} target {_fmt(target)}"
            )
    if rules.max_hold_s > 0.0:
        held = now_s - opened_at_s
        if held >= rules.max_hold_s:
            return ExitDecision(ExitReason.MAX_HOLD, f"max_hold: held {held:.0f}s >= {rules.max_hold_s:.0f}s")
    return None
