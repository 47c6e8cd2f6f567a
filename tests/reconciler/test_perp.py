"""The perp read-back against the local chain's RPC stand-in holding Drift accounts (built by
driftpy's coder from its IDL, tests/fixtures/drift/SOURCE.md; set in LiteSVM under Drift's program)
and the real broker: funding since the last reading becomes funding records the books apply, our
shorts are compared with the venue's positions, a paused venue books nothing, and a restarted
read-back resumes from its own funding records (no span booked twice)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import msgspec
import pytest
from aiokafka import AIOKafkaProducer
from driftpy.addresses import (
    get_perp_market_public_key,
    get_spot_market_public_key,
    get_state_public_key,
    get_user_account_public_key,
)
from driftpy.constants.config import DRIFT_PROGRAM_ID
from driftpy.types import SpotBalanceType
from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from memesnipe.connectors.drift import DriftPerpBuilder
from memesnipe.connectors.drift.venue import DriftVenue
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.perp_books import FundingMark
from memesnipe.reconciler.perp import PerpReconciler
from memesnipe.rehearse.net import LocalNet
from memesnipe.streams.codec import encode
from memesnipe.streams.reconcile import HoldingRow
from memesnipe.streams.trading import Fill, PositionStatus, PositionUpdate, Side
from tests.core.test_reconcile import T0
from tests.fixtures.drift.encode import account_bytes_for, state_bytes, zero_of
from tests.support.kafka import consume

ME = Keypair.from_seed(bytes(range(32))).pubkey()
WIF_MINT = Pubkey.from_string("EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm")
WIF = 23


def short_book(qty: int, seq: int = 0) -> PositionUpdate:
    return PositionUpdate(
        instance_id="dev_wallet_drain-1",
        mint=str(WIF_MINT),
        ts=T0,
        status=PositionStatus.OPEN,
        side=Side.SHORT,
        qty_tokens=qty,
        entry_price_sol=0.01,
        mark_price_sol=0.01,
        cost_lamports=qty // 100,
        realized_pnl_lamports=0,
        unrealized_pnl_lamports=0,
        position_id="dev_wallet_drain-1|wif|short|f0",
        family="dev_wallet_drain",
        perp_market_index=WIF,
        seq=seq,
    )


def put(net: LocalNet, address: Pubkey, data: bytes, owner: Pubkey = DRIFT_PROGRAM_ID) -> None:
    chain = net.node.chain
    rent = chain.svm.minimum_balance_for_rent_exemption(len(data))
    chain.svm.set_account(address, Account(lamports=rent, data=data, owner=owner, executable=False))


def set_venue(
    net: LocalNet, *, paused: bool = False, short_rate: int = 3_000_000, base: int = -40 * 10**9
) -> None:
    """Drift as we hold it: a short of 40 WIF settled at rate 1_000_000, WIF-PERP's short rate now
    ``short_rate``, SOL at $200 (SOL-PERP's last oracle price), 1,000 USDC deposited."""
    pp, sp, amm = (
        zero_of("User", "PerpPosition"),
        zero_of("User", "SpotPosition"),
        zero_of("PerpMarket", "AMM"),
    )
    user = account_bytes_for(
        "User",
        authority=ME,
        perp_positions=[
            dataclasses.replace(
                pp,
                market_index=WIF,
                base_asset_amount=base,
                quote_asset_amount=60_000_000,
                last_cumulative_funding_rate=1_000_000,
            ),
            *[pp] * 7,
        ],
        spot_positions=[
            dataclasses.replace(
                sp, market_index=0, scaled_balance=1_000 * 10**9, balance_type=SpotBalanceType.Deposit()
            ),
            *[sp] * 7,
        ],
    )
    hist = dataclasses.replace(amm.historical_oracle_data, last_oracle_price=200_000_000)
    sol_perp = account_bytes_for(
        "PerpMarket", market_index=0, amm=dataclasses.replace(amm, historical_oracle_data=hist)
    )
    wif = account_bytes_for(
        "PerpMarket",
        market_index=WIF,
        amm=dataclasses.replace(
            amm, cumulative_funding_rate_long=9_000_000, cumulative_funding_rate_short=short_rate
        ),
    )
    usdc = account_bytes_for("SpotMarket", market_index=0, cumulative_deposit_interest=10**10)
    with net.node.lock:
        put(net, get_state_public_key(DRIFT_PROGRAM_ID), state_bytes(exchange_status=0b1000 if paused else 0))
        put(net, get_user_account_public_key(DRIFT_PROGRAM_ID, ME, 0), user)
        put(net, get_perp_market_public_key(DRIFT_PROGRAM_ID, 0), sol_perp)
        put(net, get_perp_market_public_key(DRIFT_PROGRAM_ID, WIF), wif)
        put(net, get_spot_market_public_key(DRIFT_PROGRAM_ID, 0), usdc)
        net.node.chain._set_mint(WIF_MINT, 6, None)


@pytest.fixture
def net() -> Iterator[LocalNet]:
    n = LocalNet.start(slot_s=0.05)
    yield n
    n.stop()


async def test_funding_is_booked_once_and_positions_are_compared(net: LocalNet) -> None:
    set_venue(net)
    rpc = SolanaRpcClient(net.rpc.url, rate_per_s=1000)
    r = PerpReconciler(DriftVenue(rpc, DriftPerpBuilder("mainnet")), str(ME))
    try:
        r.apply(encode(short_book(40 * 10**6)))  # 40 WIF (6 decimals) = 40e9 base on WIF-PERP
        rec, funding = await r.reading()
        # 2e6 x 40e9 / 1e12 = 80,000 = $0.08 received; at $200/SOL 400,000 lamports
        (f,) = funding
        assert (f.side, f.qty_tokens, f.notional_lamports, f.funding_lamports) == (Side.SHORT, 0, 0, 400_000)
        assert f.instance_id == "dev_wallet_drain-1" and f.reason.startswith(
            "funding:perp market 23 +0.080000"
        )
        assert rec.wallet == f"drift-v2:{ME}" and rec.holdings == (
            HoldingRow("perp:23", 40 * 10**9, 40 * 10**9),
        )
        assert rec.mismatches == () and "collateral 1000.00 USD" in rec.reason
        r.commit()
        assert r.marks == {WIF: FundingMark(3_000_000, -40 * 10**9)}
        again, none = await r.reading()
        assert none == [] and again.holdings == rec.holdings  # nothing accrued since: nothing booked
        # the venue's short is 50 WIF, the books say 40: reported once it holds over two readings
        set_venue(net, short_rate=3_000_000, base=-50 * 10**9)
        once, _ = await r.reading()
        twice, _ = await r.reading()
        assert once.mismatches == () and twice.mismatches == (HoldingRow("perp:23", 40 * 10**9, 50 * 10**9),)
        # paused: the venue's numbers are not booked
        set_venue(net, paused=True, short_rate=5_000_000)
        paused, nothing = await r.reading()
        assert nothing == [] and paused.holdings == () and "FillPaused" in paused.reason
    finally:
        await rpc.aclose()


async def test_a_restarted_read_back_resumes_from_its_funding_records(net: LocalNet, isolated_env) -> None:
    set_venue(net)
    settings = isolated_env.settings()
    producer = AIOKafkaProducer(bootstrap_servers=isolated_env.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            isolated_env.topic("positions"), key=str(WIF_MINT).encode(), value=encode(short_book(40 * 10**6))
        )
    finally:
        await producer.stop()

    async def run_until(records: int) -> None:
        rpc = SolanaRpcClient(net.rpc.url, rate_per_s=1000)
        r = PerpReconciler(DriftVenue(rpc, DriftPerpBuilder("mainnet")), str(ME), interval_s=0.5)
        stop = asyncio.Event()
        task = asyncio.create_task(r.run(settings, stop))
        try:
            await consume(
                isolated_env.bootstrap,
                isolated_env.topic("perp_reconciliations"),
                min_count=records,
                idle_s=0.5,
            )
        finally:
            stop.set()
            await task
            await rpc.aclose()

    await run_until(1)
    fills = await consume(isolated_env.bootstrap, isolated_env.topic("fills"), min_count=1, idle_s=1.0)
    assert [msgspec.json.decode(x.value, type=Fill).funding_lamports for x in fills] == [400_000]
    set_venue(net, short_rate=3_500_000)  # funding accrues while it is down
    recs = len(await consume(isolated_env.bootstrap, isolated_env.topic("perp_reconciliations"), idle_s=0.5))
    await run_until(recs + 1)
    fills = await consume(isolated_env.bootstrap, isolated_env.topic("fills"), min_count=2, idle_s=1.0)
    booked = [msgspec.json.decode(x.value, type=Fill).funding_lamports for x in fills]
    assert booked == [400_000, 100_000]  # only the 500_000 of rate since: $0.02 at $200/SOL


async def test_memesnipe_reconcile_runs_the_perp_read_back_beside_the_wallets(
    net: LocalNet, isolated_env
) -> None:
    """``memesnipe reconcile`` as a user runs it: the venue's reading lands on its own topic and
    the funding on ``fills``; the wallet's reading stays alone on ``reconciliations``."""
    import os
    import signal
    import subprocess
    import sys

    from tests.support.kafka import REPO

    set_venue(net)
    with net.node.lock:
        net.node.chain.fund(ME, 3 * 10**9)
    producer = AIOKafkaProducer(bootstrap_servers=isolated_env.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            isolated_env.topic("positions"), key=str(WIF_MINT).encode(), value=encode(short_book(40 * 10**6))
        )
    finally:
        await producer.stop()
    env = {**isolated_env.env, **net.env(), "MEMESNIPE_SIGNER__WALLET_PUBKEY": str(ME)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "memesnipe", "reconcile"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        perp = await consume(isolated_env.bootstrap, isolated_env.topic("perp_reconciliations"), min_count=1)
        wallet = await consume(isolated_env.bootstrap, isolated_env.topic("reconciliations"), min_count=1)
        fills = await consume(isolated_env.bootstrap, isolated_env.topic("fills"), min_count=1)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert perp, out[-3000:]
    first = msgspec.json.decode(perp[0].value)
    assert first["wallet"] == f"drift-v2:{ME}" and first["holdings"] == [["perp:23", 40 * 10**9, 40 * 10**9]]
    assert all(msgspec.json.decode(r.value)["wallet"] == str(ME) for r in wallet)
    assert [msgspec.json.decode(x.value, type=Fill).funding_lamports for x in fills] == [400_000]
    assert proc.returncode == 0, out[-3000:]
