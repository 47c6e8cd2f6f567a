"""Bounded per-key maps: remember the newest entries, forget the least recently used (pure)."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(d: dict[K, V], key: K, value: V, keep: int) -> int:
    """Set ``d[key] = value`` as the most recent entry (dicts keep insertion order) and drop
    the least recent ones beyond ``keep``; how many were dropped."""
    d.pop(key, None)
    d[key] = value
    n = 0
    while len(d) > max(keep, 1):
        del d[next(iter(d))]
        n += 1
    return n
