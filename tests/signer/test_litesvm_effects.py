"""Signed entries and exits execute on a local chain (LiteSVM + a Jupiter route stand-in,
memesnipe.rehearse.chain) and move exactly the balances their intents declared: a buy spends its
declared SOL and receives at least its declared minimum of the mint; a sell gives up exactly its
declared tokens and receives at least its declared lamports; fees and tips are what the
transaction says. A route whose market moved past its minimum fails on chain, paying only the fee.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import msgspec
import pytest
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from memesnipe.rehearse.chain import FEE_PER_SIGNATURE, TOKEN_ACCOUNT_LEN, LocalChain
from memesnipe.signer import programs as P
from memesnipe.signer.signing import SigningService
from memesnipe.streams.execution import ExecutionRequest, ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Intent, Side, Venue
from tests.signer.helpers import TIP, paper_ixs, priority_fee, request, unsigned_tx, wire
from tests.signer.routes import BY_NAME, MINT_PK, ata, close_wsol, route_data, route_ix, wrap_ixs

V2 = BY_NAME["route_v2"]
START = 10 * 10**9
BUY_SOL = 250_000_000
TIP_LAMPORTS = 10_000
CU_LIMIT, CU_PRICE = 200_000, 50_000
SLIPPAGE = 100


def _chain(me: Pubkey) -> LocalChain:
    chain = LocalChain()
    chain.fund(me, START)
    chain.fund(TIP, chain.svm.minimum_balance_for_rent_exemption(0))  # tip accounts exist on mainnet
    chain.add_pool(MINT_PK, decimals=6, sol_reserve=500 * 10**9, token_reserve=10**15)
    return chain


def _create_mint_ata(me: Pubkey) -> list:
    create = wrap_ixs(me, 0)[0]  # create-idempotent of our wSOL account; same for the mint
    from solders.instruction import AccountMeta, Instruction

    accounts = list(create.accounts)
    accounts[1] = AccountMeta(ata(me, MINT_PK), False, True)
    accounts[3] = AccountMeta(MINT_PK, False, False)
    return [Instruction(create.program_id, bytes(create.data), accounts)]


def _sign(svc: SigningService, req: ExecutionRequest) -> VersionedTransaction:
    out = svc.handle(wire(req))
    assert out.status is ExecutionStatus.SIGNED, out.reason
    res = msgspec.json.decode(out.value, type=ExecutionResult)
    return VersionedTransaction.from_bytes(base64.b64decode(res.signed_tx_b64))


def _buy(
    svc: SigningService, chain: LocalChain, order: str = "buy-1", sol: int = BUY_SOL
) -> tuple[ExecutionRequest, int]:
    me = svc.cfg.wallet
    quote = chain.quote(MINT_PK, sol, buy=True)
    data = route_data(V2, sol, quote, SLIPPAGE)
    ixs = [
        *paper_ixs(me, tip=TIP_LAMPORTS, cu_limit=CU_LIMIT, cu_price=CU_PRICE, memo=order.encode())[:2],
        *_create_mint_ata(me),
        *wrap_ixs(me, sol),
        route_ix(V2, me, buy=True, data=data),
        close_wsol(me),
        *paper_ixs(me, tip=TIP_LAMPORTS, memo=order.encode())[2:],
    ]
    req = request(
        unsigned_tx(me, ixs, blockhash=chain.latest_blockhash()),
        order_id=order,
        intent=Intent.ENTRY,
        side=Side.BUY,
        venue=Venue.JUPITER,
        amount_in=sol,
        min_out=quote * (10_000 - SLIPPAGE) // 10_000,
        spend=sol + TIP_LAMPORTS + priority_fee(CU_LIMIT, CU_PRICE),
        tip=TIP_LAMPORTS,
        paper=False,
    )
    return req, quote


def _sell(
    svc: SigningService, chain: LocalChain, amount: int, *, min_out: int | None = None
) -> ExecutionRequest:
    me = svc.cfg.wallet
    quote = chain.quote(MINT_PK, amount, buy=False)
    ixs = [
        *paper_ixs(me, tip=TIP_LAMPORTS, cu_limit=CU_LIMIT, cu_price=CU_PRICE, memo=b"sell-1")[:2],
        wrap_ixs(me, 0)[0],  # create-idempotent our wSOL account to receive
        route_ix(V2, me, buy=False, data=route_data(V2, amount, quote, SLIPPAGE)),
        close_wsol(me),  # unwrap
        *paper_ixs(me, tip=TIP_LAMPORTS, memo=b"sell-1")[2:],
    ]
    return request(
        unsigned_tx(me, ixs, blockhash=chain.latest_blockhash()),
        order_id=f"sell-{amount}-{min_out}",
        intent=Intent.EXIT,
        side=Side.SELL,
        venue=Venue.JUPITER,
        amount_in=amount,
        min_out=quote * (10_000 - SLIPPAGE) // 10_000 if min_out is None else min_out,
        spend=TIP_LAMPORTS + priority_fee(CU_LIMIT, CU_PRICE),
        tip=TIP_LAMPORTS,
        paper=False,
    )


FEE = FEE_PER_SIGNATURE + priority_fee(CU_LIMIT, CU_PRICE)


def _live(
    make_service: Callable[..., SigningService], **caps: int
) -> tuple[SigningService, Pubkey, LocalChain]:
    """A live signer and a funded local chain with a pool for the mint."""
    svc = make_service(paper=False, **caps)
    return svc, svc.cfg.wallet, _chain(svc.cfg.wallet)


def test_a_signed_entry_and_exit_land_with_exactly_the_declared_balances(
    make_service: Callable[..., SigningService],
) -> None:
    svc, me, chain = _live(make_service)
    rent = chain.svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)

    req, quote = _buy(svc, chain)
    landed = chain.send(_sign(svc, req))
    assert landed.ok, landed.err
    got = chain.token_balance(ata(me, MINT_PK))
    assert got == quote >= req.min_out
    # SOL out: exactly the declared amount in, the declared tip, the fee, and the rent of the
    # new token account (refundable); the wSOL account was created and closed in the same tx.
    assert chain.balance(me) == START - BUY_SOL - TIP_LAMPORTS - FEE - rent
    assert BUY_SOL + TIP_LAMPORTS + priority_fee(CU_LIMIT, CU_PRICE) <= req.spend_lamports
    assert chain.balance(P.wsol_ata(me)) == 0

    before = chain.balance(me)
    sell = _sell(svc, chain, got)
    expected_out = chain.quote(MINT_PK, got, buy=False)
    landed = chain.send(_sign(svc, sell))
    assert landed.ok, landed.err
    assert chain.token_balance(ata(me, MINT_PK)) == 0  # exactly the declared amount left
    assert expected_out >= sell.min_out
    assert chain.balance(me) == before + expected_out - TIP_LAMPORTS - FEE


def test_an_exit_whose_market_moved_fails_on_chain_paying_only_the_fee(
    make_service: Callable[..., SigningService],
) -> None:
    svc, me, chain = _live(make_service)
    req, _ = _buy(svc, chain)
    assert chain.send(_sign(svc, req)).ok
    held = chain.token_balance(ata(me, MINT_PK))
    sell = _sell(svc, chain, held)
    signed = _sign(svc, sell)
    chain.pools[bytes(MINT_PK)].sol_reserve //= 2  # a dump lands first
    before = chain.balance(me)
    landed = chain.send(signed)
    assert not landed.ok and "SlippageToleranceExceeded" in landed.err
    assert chain.token_balance(ata(me, MINT_PK)) == held
    assert chain.balance(me) == before - FEE


def test_the_chain_checks_signatures_and_refuses_a_replay(
    make_service: Callable[..., SigningService],
) -> None:
    svc, _, chain = _live(make_service)
    req, _ = _buy(svc, chain)
    signed = _sign(svc, req)
    tampered = bytearray(bytes(signed))
    tampered[-40] ^= 0xFF  # a byte of the message (the memo) changed after signing
    assert chain.send(VersionedTransaction.from_bytes(bytes(tampered))).err == "SignatureFailure"
    assert chain.send(signed).ok
    assert chain.send(signed).err == "AlreadyProcessed"


@pytest.mark.parametrize("sol", [10_000_000, 1_000_000_000])
def test_round_trips_at_several_sizes_leave_the_books_equal_to_the_chain(
    make_service: Callable[..., SigningService], sol: int
) -> None:
    """A buy and a full sell: the wallet ends with its SOL less the pool's fee and price impact,
    tips and fees, to the lamport."""
    svc, me, chain = _live(make_service, per_tx_cap=2 * 10**9)
    req, quote = _buy(svc, chain, order=f"buy-{sol}", sol=sol)
    assert chain.send(_sign(svc, req)).ok
    rent = chain.svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)
    out = chain.quote(MINT_PK, quote, buy=False)
    assert chain.send(_sign(svc, _sell(svc, chain, quote))).ok
    assert chain.balance(me) == START - sol + out - 2 * (TIP_LAMPORTS + FEE) - rent
