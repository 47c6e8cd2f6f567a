"""Nearest-rank percentiles: always a value that was observed, never one interpolated between
two (a fee that was paid, a landing time that happened)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T", int, float)


def nearest_rank(values: Sequence[T], p: float) -> T | None:
    """The ``p`` percentile (0 < p <= 1) by nearest rank; None with no values."""
    if not values:
        return None
    v = sorted(values)
    return v[min(max(math.ceil(p * len(v)), 1), len(v)) - 1]
