"""Each stand-in answered through the project's real clients (JupiterClient, JitoClient,
SolanaRpcClient) over loopback; nothing of ours is mocked. A built swap, signed and sent as a
bundle, lands on the local chain with exactly the quoted amounts, and the RPC reports it as
mainnet does (statuses, getTransaction balances read by core.landed, token accounts)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from solders.token.associated import get_associated_token_address

from memesnipe.connectors.jito import BundleState
from memesnipe.connectors.jupiter.schemas import RawBuild, RawQuote
from memesnipe.core.landed import landed_amounts
from memesnipe.rehearse.chain import TOKEN_ACCOUNT_LEN
from memesnipe.rehearse.node import JITO_TIP_ACCOUNTS
from memesnipe.signer import programs as P
from memesnipe.signer.jupiter import decode_jupiter
from tests.rehearse.conftest import START, Env

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BUY = 100_000_000


async def landed(env: Env, bundle_id: str, timeout_s: float = 5.0) -> BundleState:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        st = (await env.jito.get_inflight_bundle_statuses([bundle_id]))[bundle_id]
        if st.state is not BundleState.PENDING or asyncio.get_running_loop().time() > deadline:
            return st.state
        await asyncio.sleep(0.05)


def _keys(value: object) -> object:
    """The shape of a JSON value: keys (recursively) and leaf types."""
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keys(value[0])] if value else []
    return type(value).__name__


async def test_jupiter_build_answers_in_the_documented_shape_with_a_route_v2_on_our_accounts(
    env: Env,
) -> None:
    sol, mint = str(P.WSOL_MINT), str(env.mint)
    plan = await env.jupiter.build(sol, mint, BUY, 100, str(env.me.pubkey()))
    assert plan.quote.in_amount == BUY
    assert plan.quote.out_amount == env.chain.quote(env.mint, BUY, buy=True)
    assert plan.quote.min_out_amount == plan.quote.out_amount * 9_900 // 10_000
    assert (
        plan.lookup_tables == [] and plan.blockhash is not None and env.chain.blockhash_valid(plan.blockhash)
    )
    # setup: create our wSOL and token accounts (idempotent), wrap, SyncNative; cleanup: close wSOL
    assert [bytes(i.data)[:1] for i in plan.setup] == [b"\x01", b"\x01", b"\x02", b"\x11"]
    assert [bytes(i.data) for i in plan.cleanup] == [b"\x09"]
    me = env.me.pubkey()
    keys = [bytes(a.pubkey) for a in plan.swap.accounts]
    swap = decode_jupiter(bytes(plan.swap.data), bytes(range(len(keys))), keys, bytes(me))
    assert swap.source == bytes(P.wsol_ata(me))
    assert swap.destination == bytes(get_associated_token_address(me, env.mint))
    assert (swap.in_max, swap.out_min) == (BUY, plan.quote.min_out_amount)
    # the raw answer has the field set and types of the documented /swap/v2/build example
    raw = await env.jupiter.http.get(
        "/swap/v2/build",
        params={
            "inputMint": sol,
            "outputMint": mint,
            "amount": str(BUY),
            "taker": str(me),
            "slippageBps": "50",
        },
    )
    RawBuild.model_validate(raw)
    documented = json.loads((FIXTURES / "jupiter" / "build_v2.json").read_text())
    assert set(raw) == set(documented)
    assert _keys(raw["blockhashWithMetadata"]) == _keys(documented["blockhashWithMetadata"])
    assert _keys(raw["swapInstruction"]) == _keys(documented["swapInstruction"])
    documented_info = set(documented["routePlan"][0]["swapInfo"])
    assert set(raw["routePlan"][0]["swapInfo"]) == documented_info | {"feeAmount", "feeMint"}


async def test_jupiter_order_quote_and_an_unknown_mint(env: Env) -> None:
    q = await env.jupiter.order_quote(str(env.mint), str(P.WSOL_MINT), 10**9, 300)
    assert q.out_amount == env.chain.quote(env.mint, 10**9, buy=False)
    raw = await env.jupiter.http.get(
        "/swap/v2/order",
        params={
            "inputMint": str(P.WSOL_MINT),
            "outputMint": str(env.mint),
            "amount": "1000",
            "slippageBps": "50",
        },
    )
    RawQuote.model_validate(raw)
    documented = json.loads((FIXTURES / "jupiter" / "order_v2_quote.json").read_text())
    assert set(raw) == set(documented)
    from memesnipe.connectors.errors import ProviderError

    try:
        await env.jupiter.order_quote(str(P.WSOL_MINT), str(P.TOKEN), 1000, 50)
    except ProviderError as exc:
        assert "400" in str(exc) or "route" in str(exc).lower()
    else:
        raise AssertionError("a mint without a pool has no route")


async def test_jito_tip_accounts_and_floor_as_documented(env: Env) -> None:
    assert await env.jito.get_tip_accounts() == list(JITO_TIP_ACCOUNTS)
    floor = await env.jito.get_tip_floor()
    assert floor.percentiles[50] == 10_000


async def test_a_bundle_lands_atomically_and_the_rpc_reports_it_as_mainnet_does(env: Env) -> None:
    me = str(env.me.pubkey())
    quoted = env.chain.quote(env.mint, BUY, buy=True)
    tx = await env.signed_swap(buy=True, amount=BUY)
    bid = await env.jito.send_bundle([tx])
    assert await env.jito.send_bundle([tx]) == bid  # a resend is the same bundle
    assert await landed(env, bid) is BundleState.LANDED
    final = (await env.jito.get_bundle_statuses([bid]))[bid]
    assert final.state is BundleState.LANDED and final.confirmation == "finalized"
    (sig,) = final.signatures
    st = (await env.rpc.get_signature_statuses([sig, "1" * 64])).value
    assert st[0] is not None and st[0].err is None and st[0].confirmationStatus == "finalized"
    assert st[1] is None
    result = await env.rpc.call(
        "getTransaction", [sig, {"encoding": "json", "maxSupportedTransactionVersion": 0}]
    )
    amounts = landed_amounts(result, me, str(env.mint))
    rent = env.chain.svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)
    assert amounts.token_delta == quoted
    assert amounts.sol_delta_lamports == -(BUY + 10_000 + amounts.fee_lamports + rent)
    assert amounts.fee_lamports == 5_000 + 3_000  # 300k CU x 10,000 micro-lamports
    assert await env.rpc.get_balance(me) == START + amounts.sol_delta_lamports
    parsed = await env.rpc.call(
        "getTokenAccountsByOwner", [me, {"mint": str(env.mint)}, {"encoding": "jsonParsed"}]
    )
    (acct,) = parsed["value"]
    assert acct["account"]["data"]["parsed"]["info"]["tokenAmount"]["amount"] == str(quoted)
    fees = await env.rpc.call("getRecentPrioritizationFees", [])
    assert {"slot", "prioritizationFee"} == set(fees[0]) and max(
        f["prioritizationFee"] for f in fees
    ) == 10_000
    documented = json.loads((FIXTURES / "jupiter" / "get_transaction_swap.json").read_text())["result"]
    assert set(result) == set(documented) and set(result["meta"]) == set(documented["meta"])
    assert _keys(result["meta"]["postTokenBalances"]) == _keys(documented["meta"]["postTokenBalances"])


async def test_simulate_transaction_and_preflighted_rpc_send(env: Env) -> None:
    tx = await env.signed_swap(buy=True, amount=BUY)
    sim = await env.rpc.call("simulateTransaction", [tx, {"encoding": "base64", "sigVerify": True}])
    assert sim["value"]["err"] is None and sim["value"]["unitsConsumed"] > 60_000
    sig = await env.rpc.send_transaction(tx)
    st = (await env.rpc.get_signature_statuses([sig])).value[0]
    assert st is not None and st.err is None
    from memesnipe.connectors.errors import RejectedError

    try:
        await env.rpc.send_transaction(tx)
    except RejectedError as exc:
        assert "already been processed" in str(exc)
    else:
        raise AssertionError("a preflighted resend is refused")
