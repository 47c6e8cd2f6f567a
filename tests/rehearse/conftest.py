"""A local network (node + RPC, Jito and Jupiter stand-ins on loopback) with a funded wallet and
one pool, and the project's real clients pointed at it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from memesnipe.connectors.http import RetryPolicy
from memesnipe.connectors.jito import JitoClient
from memesnipe.connectors.jupiter import JupiterClient
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.tx_build import build_transaction, pick_tip_account
from memesnipe.rehearse.chain import LocalChain
from memesnipe.rehearse.net import LocalNet
from memesnipe.signer import programs as P

START = 10 * 10**9
SOL_RESERVE, TOKEN_RESERVE = 500 * 10**9, 10**15


@dataclass
class Env:
    net: LocalNet
    me: Keypair
    mint: Pubkey
    rpc: SolanaRpcClient
    jito: JitoClient
    jupiter: JupiterClient

    @property
    def chain(self) -> LocalChain:
        return self.net.node.chain

    async def signed_swap(self, *, buy: bool, amount: int, slippage_bps: int = 100, tip: int = 10_000) -> str:
        """A swap built as the live router builds it (Jupiter /build + our tip and memo), signed."""
        sol, mint = str(P.WSOL_MINT), str(self.mint)
        plan = await self.jupiter.build(
            sol if buy else mint, mint if buy else sol, amount, slippage_bps, str(self.me.pubkey())
        )
        accounts = await self.jito.get_tip_accounts()
        assert plan.blockhash is not None
        built = build_transaction(
            payer=self.me.pubkey(),
            venue_ixs=plan.venue_instructions,
            cu_limit=300_000,
            cu_price_micro_lamports=10_000,
            tip_lamports=tip,
            tip_account=pick_tip_account(accounts, str(amount)),
            memo=f"memesnipe:test-{amount}",
            blockhash=plan.blockhash,
            lookup_tables=plan.lookup_tables,
        )
        tx = VersionedTransaction.from_bytes(base64.b64decode(built.tx_b64))
        return base64.b64encode(bytes(VersionedTransaction(tx.message, [self.me]))).decode()


def fast_retry() -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture
def net() -> Iterator[LocalNet]:
    n = LocalNet.start(slot_s=0.05)
    yield n
    n.stop()


@pytest.fixture
async def env(net: LocalNet) -> AsyncIterator[Env]:
    me = Keypair()
    mint = Pubkey.new_unique()
    with net.node.lock:
        net.node.chain.fund(me.pubkey(), START)
        net.node.chain.add_pool(mint, decimals=6, sol_reserve=SOL_RESERVE, token_reserve=TOKEN_RESERVE)
    e = Env(
        net,
        me,
        mint,
        SolanaRpcClient(net.rpc.url, rate_per_s=1000, timeout_s=2.0),
        JitoClient(
            net.jito.url, tip_floor_url=net.tip_floor_url, rate_per_s=1000, retry=fast_retry(), timeout_s=1.0
        ),
        JupiterClient(net.jupiter.url, rate_per_s=1000, retry=fast_retry(), timeout_s=1.0),
    )
    yield e
    for c in (e.rpc, e.jito, e.jupiter):
        await c.aclose()
