"""DecodedCache returns its object only while the table holds the very bytes it came from."""

from __future__ import annotations

from memesnipe.tables.cache import DecodedCache


def test_a_cached_object_is_returned_only_for_the_same_bytes_object() -> None:
    calls: list[bytes] = []

    def decode(raw: bytes) -> list[bytes]:
        calls.append(raw)
        return [raw]

    cache: DecodedCache[list[bytes]] = DecodedCache("t", decode)
    raw = b"state-1"
    first = cache.get(b"k", raw)
    assert cache.get(b"k", raw) is first and len(calls) == 1
    restored = bytes(bytearray(raw))  # equal bytes, another object: e.g. restored from the changelog
    assert cache.get(b"k", restored) is not first and len(calls) == 2
    written, obj = b"state-2", [b"mine"]
    cache.put(b"k", written, obj)
    assert cache.get(b"k", written) is obj and len(calls) == 2
    assert cache.get(b"k", None) is None


def test_the_cache_is_bounded() -> None:
    cache: DecodedCache[bytes] = DecodedCache("t2", lambda raw: raw, max_keys=3)
    for i in range(10):
        cache.put(str(i).encode(), b"v", b"v")
        assert len(cache) <= 3
    cache.clear()
    assert len(cache) == 0
