"""Paper path on the real broker: orders -> exec requests -> signed results -> exactly one fill
per order, also when the router/fills worker restarts and everything is replayed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from solders.keypair import Keypair

from memesnipe.core.tx_build import compute_budget_of, find_tip, from_b64, memo_of, resolve_instructions
from memesnipe.settings import SIGNER_TIP_ACCOUNTS
from memesnipe.streams.auth import verify_request
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.execution import ExecutionRequest, ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Fill, Intent, Order, OrderState, OrderUpdate, Side, Venue
from tests.support.kafka import Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

SECRET = "integration-hmac-secret-0123456789"
TS = datetime(2026, 1, 1, tzinfo=UTC)


def order(i: int, *, side: Side = Side.BUY) -> Order:
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
        side=side,
        intent=Intent.ENTRY if side is Side.BUY else Intent.EXIT,
        venue=Venue.JUPITER,
        amount_in=50_000_000 if side is Side.BUY else 1_000_000_000,
        price_sol=0.0001 + i * 1e-6,
        price_usd=0.015,
    )


def start(env, name: str) -> Process:
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    p = Process(["tests.agents.exec_worker"], e, env.data_dir / f"{name}.log")
    p.wait_for("Ready", timeout_s=90)
    return p


def signed(req: ExecutionRequest, kp: Keypair) -> ExecutionResult:
    tx = from_b64(req.tx_b64)
    sig = kp.sign_message(bytes(tx.message))
    return ExecutionResult(
        request_id=req.request_id,
        order_id=req.order_id,
        mint=req.mint,
        status=ExecutionStatus.SIGNED,
        ts=TS,
        signature=str(sig),
    )


async def test_paper_orders_fill_exactly_once_across_restart(isolated_env):
    kp = Keypair()
    isolated_env.extra.update(
        {"MEMESNIPE_SIGNER__WALLET_PUBKEY": str(kp.pubkey()), "MEMESNIPE_HMAC_SECRET": SECRET}
    )
    await create_topics(isolated_env)
    bs, t = isolated_env.bootstrap, isolated_env.topic
    orders = [order(i) for i in range(12)]
    by_id = {o.order_id: o for o in orders}
    records = [(o.mint.encode(), encode(o)) for o in orders]
    records.insert(3, (b"Mint0pump", b'{"order_id": 7}'))  # malformed -> dead letter
    records.append(records[0])  # duplicate delivery

    w = start(isolated_env, "w1")
    try:
        await produce(bs, t("orders"), records)
        reqs_raw = await consume(bs, t("exec_requests"), min_count=len(orders), timeout_s=60)
        reqs = [decode(r.value, ExecutionRequest) for r in reqs_raw]
        assert sorted(r.request_id for r in reqs) == sorted(by_id)  # one request per order
        for r, raw in zip(reqs, reqs_raw, strict=True):
            assert raw.key == by_id[r.order_id].mint.encode()
            assert verify_request(r, SECRET)
            assert r.paper and r.request_id == r.order_id
            tx = from_b64(r.tx_b64)
            assert tx.message.account_keys[0] == kp.pubkey()
            ixs = resolve_instructions(tx)
            assert memo_of(ixs) == f"memesnipe:{r.order_id}"
            assert find_tip(ixs, SIGNER_TIP_ACCOUNTS.split(","))[1] == r.tip_lamports >= 1000
            assert compute_budget_of(ixs)[0] == r.meta["cu_limit"]
            assert r.meta["qty_tokens"] > 0
        dl = await consume(bs, t("deadletter"), min_count=1, timeout_s=30)
        assert any(b"Order" in d.value for d in dl)

        results = [signed(r, kp) for r in reqs]
        await produce(bs, t("exec_results"), [(r.mint.encode(), encode(r)) for r in results + results[:4]])
        fills = await consume(bs, t("fills"), min_count=len(orders), timeout_s=60)
        assert sorted(decode(f.value, Fill).fill_id for f in fills) == sorted(by_id)
    finally:
        w.stop()

    # Restart: replay every order and result; nothing new may come out.
    w2 = start(isolated_env, "w2")
    try:
        await produce(bs, t("orders"), [(o.mint.encode(), encode(o)) for o in orders])
        await produce(bs, t("exec_results"), [(r.mint.encode(), encode(r)) for r in results])
        fills = await consume(bs, t("fills"), min_count=len(orders), timeout_s=30, idle_s=4)
        reqs_after = await consume(bs, t("exec_requests"), min_count=len(orders), timeout_s=20)
    finally:
        w2.stop()
    got = [decode(f.value, Fill) for f in fills]
    assert len(got) == len(orders)
    assert {f.fill_id for f in got} == set(by_id)
    assert len(reqs_after) == len(orders)
    for f in got:
        o = by_id[f.order_id]
        assert f.paper and f.qty_tokens > 0 and f.notional_lamports > 0
        assert f.jito_tip_lamports >= 1000 and f.priority_fee_lamports > 5000 and f.swap_fee_lamports > 0
        assert f.notional_lamports + f.swap_fee_lamports == o.amount_in
    ups = [decode(u.value, OrderUpdate) for u in await consume(bs, t("order_updates"), min_count=1)]
    per = {}
    for u in ups:
        per.setdefault(u.order_id, []).append(u.state)
    for oid in by_id:
        assert per[oid] == [OrderState.NEW, OrderState.ROUTED, OrderState.SIGNED, OrderState.LANDED]
