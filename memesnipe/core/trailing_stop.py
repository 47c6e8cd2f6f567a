"""Trailing stop with an activation offset, as freqtrade defines it.

The stop sits at the fixed stop-loss (``entry x (1 - stop_loss)`` for a long) until the best
price since entry has moved ``activation_offset`` in the position's favour; from then on it
trails ``trail`` behind that best price and never moves back. Entry 100, stop-loss 10 %,
offset 3 %, trail 2 %: the stop is 90 until the peak reaches 103, then 100.94 at 103, 107.8
at 110, and it stays at 107.8 while the price falls from 110.

Shorts mirror it: the stop starts at ``entry x (1 + stop_loss)`` and trails ``trail`` above the
lowest price once that is ``activation_offset`` below entry.

Only the best price is state; the stop is a pure function of (entry, best), so it can never
loosen (the best price is monotonic) and nothing else has to be stored or migrated.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

_EPS = 1e-12
"""Relative tolerance on the activation boundary, so ``100 x 1.03`` reaching 103 counts."""


class Direction(StrEnum):
    LONG = "long"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class TrailingStop:
    """Stop configuration, as fractions of the entry price (0.10 = 10 %).

    ``trail = 0`` disables trailing: the stop is the fixed stop-loss for the whole trade.
    """

    stop_loss: float
    activation_offset: float = 0.0
    trail: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < self.stop_loss < 1.0:
            raise ValueError(f"stop_loss must be a fraction in (0, 1), got {self.stop_loss!r}")
        if not 0.0 <= self.activation_offset < 100.0:
            raise ValueError(f"activation_offset must be in [0, 100), got {self.activation_offset!r}")
        if not 0.0 <= self.trail < 1.0:
            raise ValueError(f"trail must be a fraction in [0, 1), got {self.trail!r}")

    def initial_stop(self, entry: float, direction: Direction) -> float:
        """The fixed stop-loss price."""
        if direction is Direction.LONG:
            return entry - entry * self.stop_loss
        return entry + entry * self.stop_loss

    def activation_price(self, entry: float, direction: Direction) -> float:
        """The best price at which trailing starts."""
        if direction is Direction.LONG:
            return entry + entry * self.activation_offset
        return entry - entry * self.activation_offset

    def is_trailing(self, entry: float, best: float, direction: Direction) -> bool:
        """True once the best price since entry has reached the activation price."""
        if self.trail <= 0.0:
            return False
        act = self.activation_price(entry, direction)
        if direction is Direction.LONG:
            return best >= act * (1.0 - _EPS)
        return best <= act * (1.0 + _EPS)

    def stop_price(self, entry: float, best: float, direction: Direction) -> float:
        """The stop for a trade entered at ``entry`` whose best price so far is ``best``."""
        initial = self.initial_stop(entry, direction)
        if not self.is_trailing(entry, best, direction):
            return initial
        if direction is Direction.LONG:
            return max(initial, best - best * self.trail)
        return min(initial, best + best * self.trail)

    def is_hit(self, entry: float, best: float, price: float, direction: Direction) -> bool:
        """True when ``price`` is at or through the stop."""
        stop = self.stop_price(entry, best, direction)
        return price <= stop if direction is Direction.LONG else price >= stop


def update_best(best: float, price: float, direction: Direction) -> float:
    """The new best price (peak for a long, trough for a short) after seeing ``price``."""
    if direction is Direction.LONG:
        return price if price > best else best
    return price if price < best else best
