"""The books adopt the chain's numbers, end to end on the real broker: a real position manager
(Faust worker) books an entry fill of 1,000 tokens, the wallet on the local chain holds 700;
the reconciler (its own loop, the local chain's RPC) reports the difference at the second
reading, sends the adoption fill before the record that names it, the position manager books it
and the position holds the chain's 700 (the 300 lost as a realised loss of their basis); the
next readings agree, adopt nothing more, and carry the wallet's value."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.reconciler.service import Reconciler
from memesnipe.rehearse.net import LocalNet
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.streams.trading import Fill, Intent, PositionUpdate, Side
from tests.agents.test_position_manager_integration import start
from tests.support.kafka import consume, create_topics, produce

pytestmark = pytest.mark.integration
SOL = 5 * 10**9


@pytest.fixture
def net() -> Iterator[LocalNet]:
    n = LocalNet.start(slot_s=0.05)
    yield n
    n.stop()


async def test_a_difference_is_adopted_by_the_position_manager(net: LocalNet, isolated_env) -> None:
    env = isolated_env
    await create_topics(env)
    me, mint = Keypair().pubkey(), Pubkey.new_unique()
    with net.node.lock:
        chain = net.node.chain
        chain.fund(me, SOL)
        chain.add_pool(mint, decimals=6, sol_reserve=10**12, token_reserve=10**15)
        chain.set_token_account(get_associated_token_address(me, mint), mint, me, 700)
    entry = Fill(
        fill_id="e" * 32,
        order_id="e" * 32,
        instance_id="mom-1",
        family="momentum_5m",
        mint=str(mint),
        ts=datetime.now(UTC),
        side=Side.BUY,
        intent=Intent.ENTRY,
        qty_tokens=1_000,
        notional_lamports=2_000_000,
        price_sol=2.0,  # 2 SOL per whole token: 2,000 lamports per base unit
        paper=False,
    )
    w = start(env, "w1")
    rpc = SolanaRpcClient(net.rpc.url, rate_per_s=1000)
    rec = Reconciler(env.settings(), rpc, str(me), interval_s=0.5, after_fill_s=0.2)
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        await produce(env.bootstrap, env.topic("fills"), [(str(mint).encode(), encode(entry))])
        (opened,) = [decode(r.value, PositionUpdate) for r in await consume(
            env.bootstrap, env.topic("positions"), min_count=1, timeout_s=90
        )]  # fmt: skip
        assert opened.qty_tokens == 1_000
        task = asyncio.create_task(rec.run(stop))

        async def records(n: int) -> list[Reconciliation]:
            got = await consume(env.bootstrap, env.topic("reconciliations"), min_count=n, timeout_s=60)
            return [decode(r.value, Reconciliation) for r in got]

        for _ in range(60):  # until a reading after the adoption agrees
            rs = await records(4)
            adopted = [r for r in rs if r.adopted]
            if adopted and any(not r.mismatches and r.ts > adopted[0].ts for r in rs):
                break
            await asyncio.sleep(1)
        first = adopted[0]
        (row,) = first.adopted
        assert (row.instance_id, row.mint, row.delta) == ("mom-1", str(mint), -300)
        assert [(h.mint, h.books, h.chain) for h in first.mismatches] == [(str(mint), 1_000, 700)]
        assert sum(len(r.adopted) for r in rs) == 1  # adopted once, not at every reading
        # the adoption fill went out, and the books applied it: the position holds the chain's 700
        fills = [decode(r.value, Fill) for r in await consume(env.bootstrap, env.topic("fills"), min_count=2)]
        (adoption,) = [f for f in fills if f.fill_id == row.fill_id]
        assert (adoption.side, adoption.qty_tokens, adoption.notional_lamports) == (Side.SELL, 300, 0)
        ups = [decode(r.value, PositionUpdate) for r in await consume(
            env.bootstrap, env.topic("positions"), min_count=2, timeout_s=30
        )]  # fmt: skip
        last = ups[-1]
        assert last.qty_tokens == 700 and last.realized_gross_pnl_lamports == -600_000  # 300 x 2,000
        # the wallet's value: its SOL and the 700 tokens at the books' mark (the entry price here)
        after = [r for r in rs if r.ts > first.ts and not r.mismatches][-1]
        assert after.sol_lamports == SOL and after.equity_lamports == SOL + 700 * 2_000
        assert await consume(env.bootstrap, env.topic("deadletter"), timeout_s=3, idle_s=1) == []
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, 30)
        await rpc.aclose()
        w.stop()
