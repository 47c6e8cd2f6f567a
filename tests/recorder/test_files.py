"""Recording files without a broker: layout, duplicate removal, replay order and pacing plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memesnipe.recorder.publish_file import load, schedule
from memesnipe.recorder.writer import ParquetWriter

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _row(topic: str, part: int, off: int, sec: float) -> dict:
    return {
        "event_ts": T0 + timedelta(seconds=sec),
        "mint": f"m{part}",
        "key": f"m{part}".encode(),
        "value": f"{topic}-{part}-{off}".encode(),
        "kafka_topic": f"x.{topic}",
        "partition": part,
        "offset": off,
        "kafka_ts": T0,
        "valid": True,
    }


def test_duplicates_from_an_at_least_once_rerecord_are_dropped(tmp_path) -> None:
    w = ParquetWriter(tmp_path)
    for off in range(5):
        w.add("price", _row("price", 0, off, off))
    w.flush()
    for off in range(3, 8):  # a crash re-recorded offsets 3 and 4
        w.add("price", _row("price", 0, off, off))
    w.flush()
    rows, dups = load(tmp_path)
    assert dups == 2
    assert [r.offset for r in rows] == list(range(8))


def test_a_partition_keeps_its_offset_order_even_if_event_time_goes_back(tmp_path) -> None:
    w = ParquetWriter(tmp_path)
    for off, sec in enumerate([0, 5, 3, 9]):  # out-of-order event time within one mint
        w.add("price", _row("price", 0, off, sec))
    for off, sec in enumerate([1, 4, 8]):
        w.add("onchain", _row("onchain", 1, off, sec))
    w.flush()
    rows, _ = load(tmp_path)
    assert [r.offset for r in rows if r.partition == 0] == [0, 1, 2, 3]
    assert [(r.type, r.offset) for r in rows][:3] == [("price", 0), ("onchain", 0), ("onchain", 1)]


def test_type_and_time_filters(tmp_path) -> None:
    w = ParquetWriter(tmp_path)
    for off in range(10):
        w.add("price", _row("price", 0, off, off))
        w.add("depth", _row("depth", 1, off, off))
    w.flush()
    rows, _ = load(tmp_path, types=["depth"], start=T0 + timedelta(seconds=2), end=T0 + timedelta(seconds=5))
    assert [(r.type, r.offset) for r in rows] == [("depth", 2), ("depth", 3), ("depth", 4)]


def test_schedule_scales_event_time_by_speed() -> None:
    class R:
        def __init__(self, s: float) -> None:
            self.event_ts = T0 + timedelta(seconds=s)

    rows = [R(0), R(1), R(4)]
    assert [d for d, _ in schedule(rows, 1.0)] == [0.0, 1.0, 4.0]
    assert [d for d, _ in schedule(rows, 4.0)] == [0.0, 0.25, 1.0]
    assert [d for d, _ in schedule(rows, 0.0)] == [0.0, 0.0, 0.0]


def test_flush_is_due_by_rows_or_age(tmp_path) -> None:
    w = ParquetWriter(tmp_path, flush_rows=3, flush_s=3600)
    w.add("price", _row("price", 0, 0, 0))
    assert not w.due()
    w.add("price", _row("price", 0, 1, 1))
    w.add("price", _row("price", 0, 2, 2))
    assert w.due()
    assert w.flush() and w.pending == 0 and not list(tmp_path.rglob(".*.tmp"))


def test_a_recording_is_read_one_day_at_a_time_in_order(tmp_path) -> None:
    from memesnipe.recorder.publish_file import iter_days

    w = ParquetWriter(tmp_path)
    for off, sec in enumerate([-7200, -3600, 3600, 7200, 10800]):  # two UTC days around T0 + 12h
        w.add("price", _row("price", 0, off, sec + 12 * 3600))
    w.flush()
    days = [[r.offset for r in rows] for rows, _ in iter_days(tmp_path)]
    assert days == [[0, 1], [2, 3, 4]]
