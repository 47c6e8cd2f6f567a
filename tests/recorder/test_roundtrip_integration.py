"""Record -> Parquet -> publish-file round trip on the real broker: the same decoded events,
byte-identical, in the same per-mint order, on fresh topics; files partitioned and zstd."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from memesnipe.connectors.publisher import Publisher
from memesnipe.recorder.publish_file import load, publish_rows
from memesnipe.recorder.record import record
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.codec import decode_market, encode
from memesnipe.streams.market import OnChainEvent, OnChainKind, PriceEvent, SolPriceEvent
from tests.support.kafka import consume, create_topics, produce

MINTS = [f"Mint{i:02d}" + "1" * 38 for i in range(6)]
T0 = datetime(2026, 3, 1, 23, 59, 50, tzinfo=UTC)  # crosses midnight: two date partitions
TOPICS = ["price", "onchain", "sol_price"]


def _events() -> dict[str, list[tuple[bytes, bytes]]]:
    rnd = random.Random(3)
    out: dict[str, list[tuple[bytes, bytes]]] = defaultdict(list)
    for i in range(300):
        mint = rnd.choice(MINTS)
        ts = T0 + timedelta(milliseconds=100 * i)
        if i % 10 == 0:
            ev = SolPriceEvent(mint=SOL_MINT, ts=ts, source="pyth", price_usd=150 + i / 100, conf_usd=0.05)
            out["sol_price"].append((SOL_MINT.encode(), encode(ev)))
        elif i % 3 == 0:
            ev = OnChainEvent(
                mint=mint,
                ts=ts,
                source="helius",
                kind=OnChainKind.SWAP,
                signature=f"s{i}",
                amount_tokens=float(i),
            )
            out["onchain"].append((mint.encode(), encode(ev)))
        else:
            ev = PriceEvent(mint=mint, ts=ts, source="dexscreener", price_usd=0.001 * (1 + i / 300))
            out["price"].append((mint.encode(), encode(ev)))
    out["price"].append((MINTS[0].encode(), b'{"type":"price","mint":"broken"'))  # undecodable, kept
    return out


def _by_key(records) -> dict[bytes, list[bytes]]:
    seq: dict[bytes, list[bytes]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        seq[r.key].append(r.value)
    return seq


@pytest.mark.integration
async def test_record_then_publish_file_reproduces_every_mints_stream(
    isolated_env, tmp_path, env_factory
) -> None:
    src = isolated_env
    await create_topics(src, TOPICS)
    sent = _events()
    for topic, recs in sent.items():
        await produce(src.bootstrap, src.topic(topic), recs)
    total = sum(len(v) for v in sent.values())

    out = tmp_path / "rec"
    stats = await record(src.settings(), out, topics=TOPICS, until_rows=total)
    assert stats.rows == total and stats.invalid == 1

    files = sorted(out.rglob("*.parquet"))
    assert {p.parent.parent.name for p in files} == {"type=price", "type=onchain", "type=sol_price"}
    # valid events by their own UTC date; the undecodable one by its broker timestamp (today)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert {p.parent.name for p in files} == {"date=2026-03-01", "date=2026-03-02", f"date={today}"}
    meta = pq.ParquetFile(files[0]).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    table = pq.read_table(out / "type=price")
    row = table.filter(table["valid"]).slice(0, 1).to_pylist()[0]
    ev = decode_market(row["value"])
    assert row["event_ts"] == ev.ts and row["mint"] == ev.mint  # the event's own time is kept
    assert row["kafka_topic"] == src.topic("price") and row["offset"] >= 0

    dst = env_factory()
    await create_topics(dst, TOPICS)
    rows, dups = load(out)
    assert len(rows) == total and dups == 0
    assert all(a.event_ts <= b.event_ts for a, b in itertools.pairwise(rows))
    async with Publisher(dst.settings()) as pub:
        pstats = await publish_rows(rows, pub, speed=0)
    assert pstats.published == total

    for topic in TOPICS:
        orig = await consume(src.bootstrap, src.topic(topic), min_count=len(sent[topic]), idle_s=1.0)
        back = await consume(dst.bootstrap, dst.topic(topic), min_count=len(sent[topic]), idle_s=1.0)
        assert len(back) == len(orig) == len(sent[topic])
        o, b = _by_key(orig), _by_key(back)
        assert o == b  # byte-identical values, same per-mint (per-key) order
        decoded_o = {k: [decode_market(v) for v in vs if v.endswith(b"}")] for k, vs in o.items()}
        decoded_b = {k: [decode_market(v) for v in vs if v.endswith(b"}")] for k, vs in b.items()}
        assert decoded_o == decoded_b


@pytest.mark.integration
async def test_publish_file_keeps_the_original_pace_scaled_by_speed(
    isolated_env, tmp_path, env_factory
) -> None:
    src = isolated_env
    await create_topics(src, ["price"])
    recs = [
        (b"M" * 43, encode(PriceEvent(mint="M" * 43, ts=T0 + timedelta(seconds=s), price_usd=1.0 + s)))
        for s in (0.0, 0.5, 1.0, 1.5, 2.0)
    ]
    await produce(src.bootstrap, src.topic("price"), recs)
    out = tmp_path / "rec"
    await record(src.settings(), out, topics=["price"], until_rows=len(recs))
    rows, _ = load(out)
    dst = env_factory()
    await create_topics(dst, ["price"])
    async with Publisher(dst.settings()) as pub:
        fast = await publish_rows(rows, pub, speed=0)
        paced = await publish_rows(rows, pub, speed=2.0)  # 2 s of event time at 2x -> ~1 s
    assert paced.span_s == pytest.approx(2.0)
    assert 0.95 <= paced.wall_s < 1.6
    assert fast.wall_s < 0.5
