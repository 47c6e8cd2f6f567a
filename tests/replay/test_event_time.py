"""The replay copier's event time of a record: its ``ts``, else the broker's timestamp."""

from __future__ import annotations

from types import SimpleNamespace

from memesnipe.replay.copy import event_ms


def test_a_hostile_record_falls_back_to_the_broker_timestamp() -> None:
    nested = b'{"ts":"2026-01-01T00:00:00Z","x":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    for value in (nested, b"\x00\xff", None, b'{"ts": 5}', b'{"ts":"2026-01-01T00:00:00Z"}'):
        rec = SimpleNamespace(value=value, timestamp=1234)
        want = 1767225600000.0 if value == b'{"ts":"2026-01-01T00:00:00Z"}' else 1234.0
        assert event_ms(rec) == want  # type: ignore[arg-type]
