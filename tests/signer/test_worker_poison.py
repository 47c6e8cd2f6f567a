"""Poison records on the real broker: each one is refused with its reason class, dead-lettered
with its topic/partition/offset, its offset is committed, the valid request behind it is
signed, and a restarted signer that reads them all again does not die on them."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from memesnipe.signer.signing import SigningService
from memesnipe.signer.worker import SignerWorker
from memesnipe.streams.execution import ExecutionStatus
from tests.signer.helpers import MINT, paper_ixs, request, unsigned_tx, wire
from tests.signer.test_worker import results, start_signer, wallet
from tests.support.kafka import IsolatedEnv, consume, create_topics, produce

pytestmark = pytest.mark.integration

WRONG_TYPES = json.dumps(
    {
        "request_id": 1,
        "order_id": [],
        "mint": {},
        "intent": 5,
        "tx_b64": None,
        "created_at": "yesterday",
        "spend_lamports": "lots",
    }
).encode()
POISON: list[tuple[str, bytes]] = [
    ("too_deep", b'{"meta":{"a":' + b"[" * 7000 + b"}}"),  # ~7 KB: RecursionError in the decoder
    ("schema", b"[" * 5000),
    ("too_large", b'{"pad":"' + b"x" * 1_000_000 + b'"}'),  # ~1 MB, just under the broker's cap
    ("malformed", b'{"request_id":"\xff\xfe\xfd"}'),  # invalid UTF-8
    ("schema", WRONG_TYPES),
]


async def committed_offset(
    env: IsolatedEnv, group: str, tp: TopicPartition, at_least: int, timeout_s: float = 20.0
) -> int:
    """The group's committed offset for ``tp`` once it reaches ``at_least`` (or after ``timeout_s``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            offsets = await admin.list_consumer_group_offsets(group)
            got = offsets[tp].offset if tp in offsets else -1
            if got >= at_least or time.monotonic() > deadline:
                return got
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def test_poison_records_are_refused_dead_lettered_committed_and_survive_restarts(
    isolated_env: IsolatedEnv,
) -> None:
    env = isolated_env
    await create_topics(env)
    signer = start_signer(env)
    try:
        me = wallet(env)
        valid = request(unsigned_tx(me, paper_ixs(me, memo=b"after-poison")), spend=20_000)
        records = [(MINT.encode(), raw) for _, raw in POISON] + [(MINT.encode(), wire(valid))]
        await produce(env.bootstrap, env.topic("exec_requests"), records)  # one key: one partition
        got = results(await consume(env.bootstrap, env.topic("exec_results"), min_count=len(records)))
        dead = await consume(env.bootstrap, env.topic("deadletter"), min_count=len(POISON), idle_s=0.5)
        sent = await consume(env.bootstrap, env.topic("exec_requests"), min_count=len(records), idle_s=0.2)
        assert signer.proc.poll() is None, signer.output()[-3000:]
    finally:
        signer.stop()

    # the valid request behind the poison is signed
    by_id = {r.request_id: r for r in got}
    assert by_id[valid.request_id].status is ExecutionStatus.SIGNED, by_id[valid.request_id].reason
    # every poison record is refused with its reason class
    refused = [r for r in got if r.request_id != valid.request_id]
    assert len(refused) == len(POISON) and all(r.status is ExecutionStatus.REFUSED for r in refused)
    assert sorted(r.reason.split(")")[0] for r in refused) == sorted(
        f"undecodable request ({kind}" for kind, _ in POISON
    )
    # ... and dead-lettered with its own position on the request topic
    position = {bytes(r.value): (r.topic, r.partition, r.offset) for r in sent}
    letters = [msgspec.json.decode(r.value) for r in dead]
    assert sorted((d["topic"], d["partition"], d["offset"]) for d in letters) == sorted(
        position[raw] for _, raw in POISON
    )
    for d in letters:
        kind = d["reason"].split("(")[1].split(")")[0]
        assert d["consumer"] == "signer" and d["key"] == MINT and kind in {k for k, _ in POISON}
    assert max(len(r.value) for r in dead) < 200_000  # the 1 MB record is not echoed whole
    # the group's committed offset is past every poison record (and the valid one)
    topic, partition, last = position[wire(valid)]
    group = env.app_id + "-signer"
    assert await committed_offset(env, group, TopicPartition(topic, partition), last + 1) == last + 1

    # Restart as a NEW group (lost offsets: the worst case): it reads every poison record again,
    # refuses each again, answers the valid one from the journal and goes on to sign a new one.
    env.extra["MEMESNIPE_SIGNER__GROUP_ID"] = env.app_id + "-signer-reread"
    signer = start_signer(env, "signer-reread")
    try:
        later = request(unsigned_tx(me, paper_ixs(me, memo=b"later")), spend=20_000)
        await produce(env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(later))])
        again = results(
            await consume(env.bootstrap, env.topic("exec_results"), min_count=2 * len(records) + 1)
        )
        assert signer.proc.poll() is None, signer.output()[-3000:]
    finally:
        signer.stop()
    second = again[len(got) :]
    assert len(second) == len(records) + 1
    assert {r.request_id: r.status for r in second}[later.request_id] is ExecutionStatus.SIGNED
    assert sum(1 for r in second if r.reason.startswith("undecodable request (")) == len(POISON)
    stopped = [json.loads(line) for line in signer.output().splitlines() if '"signer stopped"' in line]
    assert stopped[-1]["signed"] == 1 and stopped[-1]["replayed"] == 1
    assert stopped[-1]["refused"] == len(POISON)


async def next_batch(worker: SignerWorker) -> dict[TopicPartition, list[Any]]:
    assert worker._requests is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        batch = await worker._requests.getmany(timeout_ms=500)
        if batch:
            return batch
    raise TimeoutError("no request batch within 30 s")


async def test_a_journal_failure_fails_the_batch_but_a_poison_only_batch_is_committed(
    isolated_env: IsolatedEnv, make_service: Callable[..., SigningService]
) -> None:
    """Poison is not durability: a batch of poison needs no journal line and is committed even
    with a broken journal. A real request whose journal line cannot be written fails its batch:
    nothing is published and nothing committed (the batch is redelivered)."""
    env = isolated_env
    await create_topics(env)
    svc = make_service()
    worker = SignerWorker(env.settings(), svc)
    await worker.start()
    group = env.app_id + "-signer"
    try:
        # the disk goes away under the journal: its descriptor now refuses every write
        ro = os.open(os.devnull, os.O_RDONLY)
        os.dup2(ro, svc.journal._fd)
        os.close(ro)
        await produce(env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), POISON[0][1])])
        batch = await next_batch(worker)
        [(tp, [poison])] = batch.items()
        await worker.process(batch)
        assert await committed_offset(env, group, tp, poison.offset + 1) == poison.offset + 1

        me = svc.cfg.wallet
        valid = request(unsigned_tx(me, paper_ixs(me, memo=b"durable")), spend=20_000)
        await produce(env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(valid))])
        batch = await next_batch(worker)
        with pytest.raises(OSError):
            await worker.process(batch)
        assert await committed_offset(env, group, tp, poison.offset + 2, timeout_s=2) == poison.offset + 1
        published = results(await consume(env.bootstrap, env.topic("exec_results"), idle_s=0.5))
        assert [r.reason.split(")")[0] for r in published] == ["undecodable request (too_deep"]
    finally:
        await worker.stop()
