"""The backtest's columnar recording reader yields exactly what ``publish-file`` replays."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from pathlib import Path

import pyarrow as pa
import pytest

from memesnipe.backtest.recording import (
    RecordingStats,
    decode_values,
    read_batches,
    read_events,
    write_recording,
)
from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.recorder.publish_file import iter_days
from memesnipe.recorder.writer import ParquetWriter
from memesnipe.streams.codec import DecodeError, decode_market, encode
from memesnipe.streams.market import DepthEvent, DepthLevel, PriceEvent, SocialEvent

T0 = datetime(2026, 5, 1, 20, tzinfo=UTC)  # 4 h before a UTC midnight: the recording spans days


def _event(topic: str, mint: str, ts: datetime, tag: str):  # type: ignore[no-untyped-def]
    if topic == "price":
        return PriceEvent(mint=mint, ts=ts, source=tag, price_usd=1.0, volume_usd_5m=10.0)
    if topic == "depth":
        return DepthEvent(mint=mint, ts=ts, source=tag, levels=[DepthLevel(1_000.0, 20.0)], liquidity_usd=1e5)
    return SocialEvent(mint=mint, ts=ts, source=tag, mentions=3)


def _row(topic: str, part: int, off: int, ts: datetime, value: bytes | None = None, copy: int = 0) -> dict:
    mint = f"mint{part}"
    if value is None:
        value = encode(_event(topic, mint, ts, f"{topic}/{part}/{off}/copy{copy}"))
    return {
        "event_ts": ts,
        "mint": mint,
        "key": mint.encode(),
        "value": value,
        "kafka_topic": f"rec.{topic}",
        "partition": part,
        "offset": off,
        "kafka_ts": None,
        "valid": value.startswith(b"{"),
    }


def _messy_recording(root: Path, seed: int, backwards: bool) -> None:
    """Three topics x three partitions over three UTC days, written in several files, with
    equal event times across streams, a re-recorded (duplicate) range whose second copy differs,
    an undecodable row and, if ``backwards``, a partition whose event time goes back."""
    rng = random.Random(seed)
    w = ParquetWriter(root)
    rows: list[tuple[str, dict]] = []
    for topic in ("price", "depth", "social"):
        for part in (0, 1, 2):
            sec = 0
            for off in range(rng.randint(40, 80)):
                sec += rng.choice([0, 0, 60, 600, 1800])  # many equal times, within and across streams
                ts = T0 + timedelta(seconds=sec)
                if backwards and topic == "price" and part == 1 and off % 7 == 3:
                    ts -= timedelta(seconds=5)
                rows.append((topic, _row(topic, part, off, ts)))
    bad = next(r for t, r in rows if t == "social" and r["partition"] == 2 and r["offset"] == 5)
    bad["value"], bad["valid"] = b"not json {", False
    rng.shuffle(rows)  # file order is not offset order
    for i, (topic, row) in enumerate(rows):
        w.add(topic, row)
        if i % 97 == 0:
            w.flush()
    w.flush()
    for topic, row in rows:  # at-least-once: a crash re-recorded part of partition 0, later files
        if row["partition"] == 0 and 10 <= row["offset"] < 20:
            w.add(topic, _row(topic, 0, row["offset"], row["event_ts"], copy=1))
    w.flush()


def _reference(path: Path, **kw) -> tuple[list, RecordingStats]:  # type: ignore[no-untyped-def]
    """What the replay path (publish_file.iter_days + one decode per row) yields."""
    stats = RecordingStats()
    out = []
    for rows, dups in iter_days(path, **kw):
        stats.duplicates += dups
        for r in rows:
            stats.rows += 1
            try:
                out.append(decode_market(r.value))
            except DecodeError:
                stats.undecodable += 1
    return out, stats


def _stats(s: RecordingStats) -> tuple[int, int, int]:
    return s.rows, s.duplicates, s.undecodable


@pytest.mark.parametrize("backwards", [False, True], ids=["time-ordered", "time-goes-back"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_reader_yields_exactly_the_replay_sequence(tmp_path, seed, backwards) -> None:
    _messy_recording(tmp_path, seed, backwards)
    want, want_stats = _reference(tmp_path)
    stats = RecordingStats()
    got = list(read_events(tmp_path, stats=stats))
    assert got == want
    assert [e.source for e in got] == [e.source for e in want]  # duplicates: the first copy stays
    assert _stats(stats) == _stats(want_stats)
    assert stats.duplicates == 3 * 10 and stats.undecodable == 1
    assert len({e.ts.date() for e in got}) >= 2
    assert all("copy1" not in e.source for e in got)
    small = RecordingStats()  # decoding in small batches changes nothing
    assert [e for b in read_batches(tmp_path, stats=small, batch=7) for e in b] == want
    assert _stats(small) == _stats(want_stats)


def test_fast_reader_applies_the_time_window_before_dropping_duplicates(tmp_path) -> None:
    _messy_recording(tmp_path, 4, backwards=True)
    kw = {"start": T0 + timedelta(hours=2), "end": T0 + timedelta(hours=30)}
    want, want_stats = _reference(tmp_path, **kw)
    stats = RecordingStats()
    got = list(read_events(tmp_path, stats=stats, **kw))
    assert got == want and _stats(stats) == _stats(want_stats)
    assert got and all(kw["start"] <= e.ts < kw["end"] for e in got)


def test_fast_reader_reads_a_single_file(tmp_path) -> None:
    _messy_recording(tmp_path, 5, backwards=False)
    one = max(tmp_path.rglob("*.parquet"), key=lambda f: f.stat().st_size)
    want, _ = _reference(one)
    assert list(read_events(one)) == want and want


def test_simulated_recording_round_trips_in_event_time_order(tmp_path) -> None:
    sim = MarketSimulator(3, 4, datetime(2026, 4, 6, 23, 40, tzinfo=UTC), 5.0)
    events = list(islice(sim.events(), 3_000))
    assert write_recording(events, tmp_path) == len(events)
    days = list(read_batches(tmp_path, batch=10**6))
    got = [e for d in days for e in d]
    assert len(days) == 2  # 23:40 + 3,000 events at 4 mints crosses midnight
    assert got == _reference(tmp_path)[0]
    assert sorted(got, key=encode) == sorted(events, key=encode)
    assert all(a.ts <= b.ts for a, b in pairwise(got))


def test_decode_values_falls_back_per_value_on_bad_or_multiline_values() -> None:
    ev = encode(PriceEvent(mint="m", ts=T0, price_usd=2.0))
    pretty = ev.replace(b",", b",\n")  # valid JSON across lines
    values = pa.array([ev, b"", pretty, b"[1]", ev], pa.binary())
    events, bad = decode_values(values)
    assert bad == 2
    assert events == [decode_market(ev)] * 3
    assert decode_values(pa.array([ev, ev], pa.binary())) == ([decode_market(ev)] * 2, 0)


def test_decode_values_skips_a_deeply_nested_value_instead_of_raising() -> None:
    """Issue #13's record (nested thousands deep) in a recording: counted bad, the rest decode."""
    ev = encode(PriceEvent(mint="m", ts=T0, price_usd=2.0))
    nested = ev.replace(b"}", b',"x":' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    events, bad = decode_values(pa.array([ev, nested, ev], pa.binary()))
    assert (events, bad) == ([decode_market(ev)] * 2, 1)
