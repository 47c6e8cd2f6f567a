"""What a position book stores besides positions and what its inputs give back: exit requests,
market stamps, the exits to send and the outcomes of fills and marks."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from memesnipe.core.exits import ExitDecision
from memesnipe.core.positions import FillEffect, Position
from memesnipe.core.trailing_stop import Direction
from memesnipe.streams.trading import DepthStamp


class MarketStamp(msgspec.Struct, frozen=True, array_like=True):
    """The market an exit is decided on: its event time, the price then, and the depth then
    (None: not known here; the router uses its own as-of history). The exit signal carries it,
    so the router fills it on the backtester's market even when it reads it much later."""

    ts_s: float
    price_sol: float = 0.0
    price_usd: float = 0.0
    depth: DepthStamp | None = None


@dataclass(frozen=True, slots=True)
class ExitOrder:
    """An exit to send: which position, why, and the signal id it must carry."""

    position: Position
    decision: ExitDecision
    signal_id: str
    stamp: MarketStamp | None = None  # None: the agent stamps it from the input that caused it


@dataclass(frozen=True, slots=True)
class MarkOutcome:
    position: Position
    publish: bool
    exit: ExitOrder | None = None
    ts_s: float = 0.0  # the mark's event time and USD price (set on marks re-applied after a fill)
    price_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class FillOutcome:
    position: Position
    effect: FillEffect
    exit: ExitOrder | None = None  # an immediate exit (a long opened into a rugged token)
    marks: tuple[MarkOutcome, ...] = ()
    """Recorded marks with ``ts > fill.ts`` re-applied to the opened position, in event-time
    order: emit them (exits, publishes) as if they had been marks arriving after the fill."""
    fallback: bool = False
    """True if marks after the fill's event time were no longer all in the history: none were
    re-applied (the pre-history behaviour)."""


class ExitRequest(msgspec.Struct, array_like=True):
    """A strategy's exit that reached the risk gate before its entry order had filled: exit
    the position that order opens (or adds to) once its fill is booked, at the refused
    signal's moment (``stamp``; None: a request stored before stamps, claimed at the fill)."""

    instance_id: str
    direction: Direction
    reason: str
    stamp: MarketStamp | None = None


class BookError(ValueError):
    """An input that cannot be applied to this book; the message says why (dead-letter it)."""
