"""Paper path on the real broker with the real signer process:
orders -> router -> exec_requests -> signer -> exec_results -> fills agent -> fills,
with exactly one fill per order across a graceful restart and a crash (SIGKILL) of both the
router/fills worker and the signer, while every order is delivered again."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime

import pytest
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature

from memesnipe.core.tx_build import compute_budget_of, find_tip, from_b64, memo_of, resolve_instructions
from memesnipe.settings import SIGNER_TIP_ACCOUNTS
from memesnipe.streams.auth import verify_request
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.execution import ExecutionRequest, ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Fill, Intent, Order, OrderState, OrderUpdate, Side, Venue
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

SECRET = "integration-hmac-secret-0123456789"
TS = datetime(2026, 1, 1, tzinfo=UTC)


def order(i: int) -> Order:
    mint = f"Mint{i % 5}pump"
    sig = f"sig-{i}"
    oid = hashlib.sha256(f"inst-a|{mint}|{sig}".encode()).hexdigest()[:32]
    return Order(
        order_id=oid,
        signal_id=sig,
        instance_id="inst-a",
        family="momentum",
        mint=mint,
        ts=TS,
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=50_000_000,
        price_sol=0.0001 + i * 1e-6,
        price_usd=0.015,
    )


def start_worker(env: IsolatedEnv, name: str) -> Process:
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    p = Process(["tests.agents.exec_worker"], e, env.data_dir / f"{name}.log")
    p.wait_for("Ready", timeout_s=90)
    return p


def start_signer(env: IsolatedEnv, name: str) -> Process:
    p = Process(["memesnipe.signer"], env.env, env.data_dir / f"{name}.log")
    p.wait_for("signer ready", timeout_s=60)
    return p


def records(orders: list[Order]) -> list[tuple[bytes, bytes]]:
    return [(o.mint.encode(), encode(o)) for o in orders]


async def test_paper_orders_fill_exactly_once_across_restarts_with_the_real_signer(isolated_env):
    env = isolated_env
    env.extra["MEMESNIPE_HMAC_SECRET"] = SECRET
    await create_topics(env)
    bs, t = env.bootstrap, env.topic
    batch1 = [order(i) for i in range(10)]
    batch2 = [order(i) for i in range(10, 16)]
    by_id = {o.order_id: o for o in batch1 + batch2}

    signer = start_signer(env, "signer1")
    wallet = Pubkey.from_string((env.data_dir / "signer" / "wallet.pub").read_text().strip())
    worker = start_worker(env, "w1")
    bad = [(b"Mint0pump", b'{"order_id": 7}')]  # malformed -> dead letter, nothing lost
    await produce(bs, t("orders"), records(batch1[:5]) + bad + records(batch1[5:]) + records(batch1[:3]))
    await consume(bs, t("fills"), min_count=len(batch1), timeout_s=90, idle_s=1)
    # graceful restart of both, then every order of batch 1 again plus a new batch
    worker.stop()
    signer.stop()
    signer = start_signer(env, "signer2")
    worker = start_worker(env, "w2")
    await produce(bs, t("orders"), records(batch1) + records(batch2[:3]))
    await consume(bs, t("fills"), min_count=len(batch1) + 3, timeout_s=90, idle_s=1)
    # after a clean restart a redelivered order is recognised: one request per order, no more
    n_reqs = len(await consume(bs, t("exec_requests"), min_count=len(batch1) + 3, timeout_s=30, idle_s=1))
    assert n_reqs == len(batch1) + 3
    # crash both (no clean shutdown, no final commit), restart, replay everything again
    worker.kill()
    signer.kill()
    signer = start_signer(env, "signer3")
    worker = start_worker(env, "w3")
    try:
        await produce(bs, t("orders"), records(batch1 + batch2[:3]) + records(batch2[3:]))
        fills_raw = await consume(bs, t("fills"), min_count=len(by_id), timeout_s=120, idle_s=4)
        reqs_raw = await consume(bs, t("exec_requests"), min_count=len(by_id), timeout_s=30, idle_s=2)
        res_raw = await consume(bs, t("exec_results"), min_count=len(by_id), timeout_s=30, idle_s=2)
        ups_raw = await consume(bs, t("order_updates"), min_count=1, timeout_s=30, idle_s=2)
        dl = await consume(bs, t("deadletter"), min_count=1, timeout_s=30, idle_s=1)
    finally:
        worker.stop()
        signer.stop()

    fills = [decode(f.value, Fill) for f in fills_raw]
    ids = Counter(f.fill_id for f in fills)
    assert set(ids) == set(by_id), "every order filled"
    assert max(ids.values()) == 1, f"duplicate fills: {[k for k, v in ids.items() if v > 1]}"

    reqs = [decode(r.value, ExecutionRequest) for r in reqs_raw]
    assert set(r.request_id for r in reqs) == set(by_id)
    for r in reqs:
        assert verify_request(r, SECRET)
        tx = from_b64(r.tx_b64)
        assert tx.message.account_keys[0] == wallet
        ixs = resolve_instructions(tx)
        assert memo_of(ixs) == f"memesnipe:{r.order_id}"
        assert find_tip(ixs, SIGNER_TIP_ACCOUNTS.split(","))[1] == r.tip_lamports >= 1000
        assert compute_budget_of(ixs)[0] == r.meta["cu_limit"]

    results = [decode(r.value, ExecutionResult) for r in res_raw]
    signed = {r.request_id: r for r in results if r.status is ExecutionStatus.SIGNED}
    assert set(signed) == set(by_id)
    for f in fills:
        o = by_id[f.order_id]
        req = next(r for r in reqs if r.order_id == f.order_id)
        tx = from_b64(req.tx_b64)
        sig = Signature.from_string(f.signature)
        assert sig.verify(wallet, to_bytes_versioned(tx.message)), "fill carries the signature of our tx"
        assert f.paper and f.mint == o.mint and f.qty_tokens > 0
        assert f.notional_lamports + f.swap_fee_lamports == o.amount_in
        assert f.jito_tip_lamports == req.tip_lamports and f.priority_fee_lamports > 5000

    per: dict[str, list[OrderState]] = {}
    for u in (decode(x.value, OrderUpdate) for x in ups_raw):
        per.setdefault(u.order_id, []).append(u.state)
    for oid in by_id:
        states = per[oid]
        assert states[0] is OrderState.NEW and states[-1] is OrderState.LANDED
        assert states.count(OrderState.LANDED) == 1 and OrderState.REJECTED not in states
    assert any(b"Order" in d.value for d in dl)
