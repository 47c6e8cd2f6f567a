"""Control-plane messages: strategy specs, capital allocations and the kill switch."""

from __future__ import annotations

from typing import Any

import msgspec

from memesnipe.streams.base import Fraction, Lamports, Message, UtcDatetime


class StrategySpec(Message, frozen=True, kw_only=True):
    """A strategy instance: which family, with which parameters, enabled or not.

    Keyed by ``instance_id`` on the (compacted) registry topic; the latest spec wins.
    ``params`` is validated against the family's parameter model when the spec is applied.
    """

    instance_id: str = msgspec.field()
    family: str
    params: dict[str, Any] = {}
    enabled: bool = True
    revision: int = 0
    updated_at: UtcDatetime | None = None


class StrategyAllocation(Message, frozen=True, kw_only=True):
    """Share of capital given to one strategy instance by the meta-allocator."""

    instance_id: str
    weight: Fraction
    capital_lamports: Lamports
    sharpe: float = 0.0
    samples: int = 0
    ts: UtcDatetime
    reason: str = ""


class KillSwitch(Message, frozen=True, kw_only=True):
    """Pauses all new entries when active (exits still allowed); may ask to flatten."""

    active: bool
    ts: UtcDatetime
    by: str
    reason: str
    flatten: bool = False
    drawdown: float | None = None
