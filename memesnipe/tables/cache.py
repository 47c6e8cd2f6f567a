"""Decoded table values kept between batches, valid while the table holds the very bytes they came from.

A stage that folds every market event into a per-mint state decodes the state at the start of each
batch and encodes it at the end. For the router's marks (bounded price and depth histories) the
decode alone was ~7 % of a worker's CPU (bench/pipeline.py, py-spy). :class:`DecodedCache` keeps
the object it decoded, or that the stage encoded and wrote, together with those bytes; a lookup
returns it only when the table still holds *the same bytes object* (``is``), so a value restored
from the changelog, written by another agent or read from a store that copies (RocksDB) is decoded
afresh. A stage that mutates a cached object in place must write it back in the same synchronous
step or :meth:`clear` the cache when that fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from prometheus_client import Gauge

T = TypeVar("T")

CACHE_KEYS = Gauge("memesnipe_decoded_cache_keys", "Decoded table values kept between batches", ["table"])


class DecodedCache(Generic[T]):
    """Per key: (the raw bytes, the object decoded from or encoded into them); at most ``max_keys``."""

    def __init__(self, name: str, decode: Callable[[bytes], T], max_keys: int = 50_000) -> None:
        self._decode = decode
        self._max = max_keys
        self._items: dict[bytes, tuple[bytes, T]] = {}
        self._gauge = CACHE_KEYS.labels(table=name)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: bytes, raw: bytes | None) -> T | None:
        """The object for ``raw`` (the table's current value of ``key``), decoded only when needed."""
        if raw is None:
            return None
        hit = self._items.get(key)
        if hit is not None and hit[0] is raw:
            return hit[1]
        obj = self._decode(raw)
        self.put(key, raw, obj)
        return obj

    def put(self, key: bytes, raw: bytes, obj: T) -> None:
        """Remember that ``raw`` (just written to the table) is ``obj``."""
        if key not in self._items:
            if len(self._items) >= self._max:
                self._items.clear()  # keys of revoked partitions linger; start over rather than grow
            self._items[key] = (raw, obj)
            self._gauge.set(len(self._items))
        else:
            self._items[key] = (raw, obj)

    def clear(self) -> None:
        self._items.clear()
        self._gauge.set(0)
