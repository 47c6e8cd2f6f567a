"""The signer process against the real broker: requests in, signed/refused results out,
offsets committed only after the journal, kill switch known before the first request,
and a restart answers from the journal instead of signing again."""

from __future__ import annotations

import base64
import json
import os
import time

import msgspec
import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from memesnipe.streams.base import utcnow
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Intent
from tests.signer.helpers import MINT, SECRET, paper_ixs, request, unsigned_tx, wire
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, produce

pytestmark = pytest.mark.integration


def start_signer(env: IsolatedEnv, name: str = "signer") -> Process:
    e = env.env
    e["MEMESNIPE_HMAC_SECRET"] = SECRET
    p = Process(["memesnipe.signer"], e, env.data_dir / f"{name}.log")
    p.wait_for("signer ready", timeout_s=60)
    return p


def wallet(env: IsolatedEnv) -> Pubkey:
    return Pubkey.from_string((env.data_dir / "signer" / "wallet.pub").read_text().strip())


def results(recs: list) -> list[ExecutionResult]:  # type: ignore[type-arg]
    return [msgspec.json.decode(r.value, type=ExecutionResult) for r in recs]


async def test_signs_paper_requests_and_answers_restart_from_journal(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env)
    signer = start_signer(env)
    try:
        me = wallet(env)
        reqs = [
            request(unsigned_tx(me, paper_ixs(me, memo=f"o{i}".encode())), spend=20_000) for i in range(5)
        ]
        bad = request(unsigned_tx(me, paper_ixs(me)), spend=20_000, secret="x" * 20)  # wrong HMAC key
        await produce(
            env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(r)) for r in [*reqs, bad]]
        )
        got = results(await consume(env.bootstrap, env.topic("exec_results"), min_count=6, idle_s=1.0))
    finally:
        signer.stop()
    by_id = {r.request_id: r for r in got}
    assert len(got) == 6
    assert (
        by_id[bad.request_id].status is ExecutionStatus.REFUSED and by_id[bad.request_id].reason == "bad hmac"
    )
    for r in reqs:
        res = by_id[r.request_id]
        assert res.status is ExecutionStatus.SIGNED, res.reason
        tx = VersionedTransaction.from_bytes(base64.b64decode(res.signed_tx_b64))
        assert tx.signatures[0] == Signature.from_string(res.signature)
        assert tx.verify_with_results() == [True]
    # Restart: offsets were committed, so nothing is re-processed; re-sending the same requests
    # gets the ORIGINAL results again (identical bytes), not new signatures.
    signer = start_signer(env, "signer2")
    try:
        await produce(env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(r)) for r in reqs[:2]])
        recs = await consume(env.bootstrap, env.topic("exec_results"), min_count=8, idle_s=1.0)
    finally:
        signer.stop()
    assert len(recs) == 8
    first = {r.request_id: raw.value for r, raw in zip(got, recs[:6], strict=False)}
    for raw in recs[6:]:
        res = msgspec.json.decode(raw.value, type=ExecutionResult)
        assert raw.value == first[res.request_id]
    stopped = [json.loads(line) for line in signer.output().splitlines() if '"signer stopped"' in line]
    assert stopped[-1]["signed"] == 0 and stopped[-1]["replayed"] == 2  # nothing signed twice


async def test_kill_switch_known_before_first_request(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env)
    ks = KillSwitch(active=True, ts=utcnow(), by="test", reason="dd")
    await produce(env.bootstrap, env.topic("killswitch"), [(b"global", msgspec.json.encode(ks))])
    # Requests are already waiting when the signer starts: the entry must still be refused.
    from memesnipe.signer.keystore import load_paper_keypair, paper_key_path

    me = load_paper_keypair(paper_key_path(env.data_dir, None)).pubkey()  # the signer will reuse it
    entry = request(unsigned_tx(me, paper_ixs(me, memo=b"e")), spend=20_000)
    exit_ = request(unsigned_tx(me, paper_ixs(me, memo=b"x")), spend=20_000, intent=Intent.EXIT)
    await produce(
        env.bootstrap,
        env.topic("exec_requests"),
        [(MINT.encode(), wire(entry)), (MINT.encode(), wire(exit_))],
    )
    signer = start_signer(env)
    try:
        got = {
            r.request_id: r
            for r in results(await consume(env.bootstrap, env.topic("exec_results"), min_count=2, idle_s=1.0))
        }
        assert got[entry.request_id].status is ExecutionStatus.REFUSED
        assert got[entry.request_id].reason.startswith("kill switch active")
        assert got[exit_.request_id].status is ExecutionStatus.SIGNED
        # Resume: a new entry signs.
        off = KillSwitch(active=False, ts=ks.ts, by="test", reason="resume")
        await produce(env.bootstrap, env.topic("killswitch"), [(b"global", msgspec.json.encode(off))])
        time.sleep(1.0)
        again = request(unsigned_tx(me, paper_ixs(me, memo=b"e2")), spend=20_000)
        await produce(env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(again))])
        got = {
            r.request_id: r
            for r in results(await consume(env.bootstrap, env.topic("exec_results"), min_count=3, idle_s=1.0))
        }
        assert got[again.request_id].status is ExecutionStatus.SIGNED
    finally:
        signer.stop()


async def test_lost_offsets_replay_from_the_journal_without_signing_again(isolated_env: IsolatedEnv) -> None:
    """The worst case after a crash: every request is consumed again (here: a new consumer
    group reads the topic from the start). The journal answers all of them with the exact
    bytes first published; nothing is signed twice."""
    env = isolated_env
    await create_topics(env)
    signer = start_signer(env)
    try:
        me = wallet(env)
        reqs = [
            request(unsigned_tx(me, paper_ixs(me, memo=f"r{i}".encode())), spend=20_000) for i in range(30)
        ]
        reqs.append(request(unsigned_tx(me, paper_ixs(me, memo=b"big")), spend=10**12))  # refused: over cap
        await produce(env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(r)) for r in reqs])
        first = await consume(env.bootstrap, env.topic("exec_results"), min_count=len(reqs), idle_s=1.0)
    finally:
        signer.stop()
    env.extra["MEMESNIPE_SIGNER__GROUP_ID"] = env.app_id + "-signer-after-crash"
    signer = start_signer(env, "signer-replay")
    try:
        both = await consume(env.bootstrap, env.topic("exec_results"), min_count=2 * len(reqs), idle_s=1.5)
    finally:
        signer.stop()
    assert len(first) == len(reqs) and len(both) == 2 * len(reqs)
    assert sorted(r.value for r in both[len(reqs) :]) == sorted(r.value for r in first)
    stopped = [json.loads(line) for line in signer.output().splitlines() if '"signer stopped"' in line]
    assert stopped[-1] == {**stopped[-1], "signed": 0, "refused": 0, "replayed": len(reqs)}


async def test_live_mode_signs_with_the_key_from_the_env_path(isolated_env: IsolatedEnv) -> None:
    """Live: the key comes from MEMESNIPE_SIGNER__KEY_PATH; live requests are signed with it,
    paper requests are refused (a paper flow never gets a real signature)."""
    env = isolated_env
    await create_topics(env)
    kp = Keypair()
    key_file = env.data_dir / "wallet.json"
    key_file.write_text(json.dumps(list(bytes(kp))))
    os.chmod(key_file, 0o600)
    env.extra.update(
        MEMESNIPE_MODE="live",
        MEMESNIPE_LIVE_CONFIRM="I-ACCEPT-REAL-MONEY-RISK",
        MEMESNIPE_SIGNER__KEY_PATH=str(key_file),
        MEMESNIPE_SIGNER__WALLET_PUBKEY=str(kp.pubkey()),
    )
    signer = start_signer(env)
    try:
        me = kp.pubkey()
        assert wallet(env) == me
        live = request(unsigned_tx(me, paper_ixs(me, memo=b"live")), spend=20_000, paper=False)
        paper = request(unsigned_tx(me, paper_ixs(me, memo=b"paper")), spend=20_000, paper=True)
        await produce(
            env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(r)) for r in (live, paper)]
        )
        got = {
            r.request_id: r
            for r in results(await consume(env.bootstrap, env.topic("exec_results"), min_count=2))
        }
    finally:
        signer.stop()
    assert got[live.request_id].status is ExecutionStatus.SIGNED
    signed = VersionedTransaction.from_bytes(base64.b64decode(got[live.request_id].signed_tx_b64))
    assert signed.verify_with_results() == [True] and signed.message.account_keys[0] == me
    assert got[paper.request_id].reason == "paper request to a live signer"
    assert (env.data_dir / "signer" / "journal-live.jsonl").exists()


async def test_sigkill_mid_stream_every_request_gets_exactly_one_answer(isolated_env: IsolatedEnv) -> None:
    """Kill -9 the signer while it drains a backlog, restart it: every request id is answered,
    and every time an id's result was published it was the same bytes (one signature each)."""
    env = isolated_env
    await create_topics(env)
    signer = start_signer(env)
    me = wallet(env)
    n = 3000
    reqs = [request(unsigned_tx(me, paper_ixs(me, memo=f"k{i}".encode())), spend=20_000) for i in range(n)]
    try:
        await produce(env.bootstrap, env.topic("exec_requests"), [(MINT.encode(), wire(r)) for r in reqs])
        deadline = time.monotonic() + 60
        while '"msg": "batch"' not in signer.output() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        signer.kill()  # mid-stream: no clean shutdown, no final commit
    signer = start_signer(env, "signer-after-kill")
    try:
        recs = await consume(env.bootstrap, env.topic("exec_results"), min_count=n, idle_s=2.0, timeout_s=120)
    finally:
        signer.stop()
    by_id: dict[str, set[bytes]] = {}
    for r in recs:
        by_id.setdefault(msgspec.json.decode(r.value, type=ExecutionResult).request_id, set()).add(r.value)
    assert set(by_id) == {r.request_id for r in reqs}
    assert all(len(values) == 1 for values in by_id.values()), "an id was answered with different bytes"
    sigs = {msgspec.json.decode(next(iter(v)), type=ExecutionResult).signature for v in by_id.values()}
    assert len(sigs) == n
    stopped = [json.loads(line) for line in signer.output().splitlines() if '"signer stopped"' in line]
    assert 0 < stopped[-1]["signed"] < n  # the kill really interrupted the first signer
