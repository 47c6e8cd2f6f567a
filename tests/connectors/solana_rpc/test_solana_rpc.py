"""Solana JSON-RPC: every method against the RPC docs' examples, error mapping, token safety."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError, RejectedError, TemporaryError
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.solana_rpc.parse import safety_event
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    LargestAccountsResult,
    TokenSupplyResult,
)
from memesnipe.streams.market import OnChainKind

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "solana_rpc"
MINT = "3wyAj7Rt1TWVPZVteFJPLa26JmLvdb1CAKEFZm3NY75E"
T0 = datetime(2026, 2, 2, tzinfo=UTC)


def fx(name: str) -> dict:
    return json.loads((FIX / f"{name}.json").read_text())


def rpc(routes: dict[str, dict], seen: list[dict] | None = None) -> SolanaRpcClient:
    def handler(req: httpx.Request) -> httpx.Response:
        body = json.loads(req.content)
        if seen is not None:
            seen.append(body)
        return httpx.Response(200, json=routes[body["method"]])

    return SolanaRpcClient("https://rpc.example", transport=httpx.MockTransport(handler))


async def test_reading_methods_decode_the_documented_examples() -> None:
    seen: list[dict] = []
    c = rpc(
        {
            "getAccountInfo": fx("getAccountInfo_mint_jsonParsed"),
            "getTokenLargestAccounts": fx("getTokenLargestAccounts"),
            "getTokenSupply": fx("getTokenSupply"),
        },
        seen,
    )
    acct = await c.get_account_info_parsed(MINT)
    largest = await c.get_token_largest_accounts(MINT)
    supply = await c.get_token_supply(MINT)
    await c.aclose()
    assert acct.value is not None and acct.value.owner.startswith("Tokenkeg")
    assert [a.amount for a in largest.value] == [771, 229] and largest.context.slot == 1114
    assert supply.value.amount == 100000 and supply.value.decimals == 2
    assert seen[0]["method"] == "getAccountInfo" and seen[0]["params"][1]["encoding"] == "jsonParsed"
    assert seen[0]["jsonrpc"] == "2.0" and seen[1]["params"][0] == MINT


async def test_execution_methods_decode_the_documented_examples() -> None:
    seen: list[dict] = []
    c = rpc(
        {
            "getLatestBlockhash": fx("getLatestBlockhash"),
            "getBalance": fx("getBalance"),
            "sendTransaction": fx("sendTransaction"),
            "getSignatureStatuses": fx("getSignatureStatuses"),
        },
        seen,
    )
    bh = await c.get_latest_blockhash()
    assert bh.value.blockhash == "EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N"
    assert bh.value.lastValidBlockHeight == 3090
    assert await c.get_balance("83astBRguLMdt2h5U1Tpdq5tjFoJ6noeGwaY3mDLVcri") == 0
    sig = await c.send_transaction("AQID", skip_preflight=True, max_retries=0)
    assert sig.startswith("2id3YC2jK9G5Wo2phDx4gJVA")
    st = await c.get_signature_statuses(["a", "b"], search_history=True)
    await c.aclose()
    assert st.value[0] is not None and st.value[0].confirmationStatus == "finalized" and st.value[1] is None
    send = next(b for b in seen if b["method"] == "sendTransaction")
    assert send["params"] == [
        "AQID",
        {"encoding": "base64", "skipPreflight": True, "preflightCommitment": "confirmed", "maxRetries": 0},
    ]


@pytest.mark.parametrize(("code", "exc"), [(-32005, TemporaryError), (-32002, RejectedError)])
async def test_json_rpc_errors_are_mapped_to_the_error_tree(code: int, exc: type) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": "Transaction simulation failed"}}
    c = SolanaRpcClient(
        "https://rpc.example", transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body))
    )
    with pytest.raises(exc, match=f"sendTransaction: JSON-RPC error {code}"):
        await c.send_transaction("AQID")
    await c.aclose()


def _safety(account: dict, largest: dict, supply: dict):
    return safety_event(
        MINT,
        AccountInfoResult.model_validate(account["result"]),
        LargestAccountsResult.model_validate(largest["result"]),
        TokenSupplyResult.model_validate(supply["result"]),
        T0,
    )


def test_safety_fact_from_a_real_revoked_mint() -> None:
    supply = fx("getTokenSupply_live")
    largest = {
        "result": {
            "context": {"slot": 1},
            "value": [
                {"address": "A", "amount": "99999826831533", "decimals": 6},  # 10% of supply
                {"address": "B", "amount": "49999913415766", "decimals": 6},  # 5%
            ],
        }
    }
    ev = _safety(fx("getAccountInfo_mint_jsonParsed"), largest, supply)
    assert ev.kind is OnChainKind.SAFETY and ev.mint == MINT and ev.ts == T0
    assert ev.mint_authority_live is False and ev.freeze_authority_live is False
    assert ev.top10_holder_pct == pytest.approx(15.0, abs=1e-6)


def test_live_authorities_are_reported() -> None:
    acct = fx("getAccountInfo_mint_jsonParsed")
    info = acct["result"]["value"]["data"]["parsed"]["info"]
    info["mintAuthority"] = "F54ZGuxyb2gA7vRjzWKLWEMQqCfJxDY1whtqtjdq4CJ"
    supply = fx("getTokenSupply_live")
    ev = _safety(acct, fx("getTokenLargestAccounts"), supply)
    assert ev.mint_authority_live is True and ev.freeze_authority_live is False


def test_docs_largest_accounts_with_the_docs_supply_give_the_top_share() -> None:
    acct = fx("getAccountInfo_mint_jsonParsed")
    acct["result"]["value"]["data"]["parsed"]["info"]["decimals"] = 2
    ev = _safety(acct, fx("getTokenLargestAccounts"), fx("getTokenSupply"))
    assert ev.top10_holder_pct == pytest.approx(100.0 * (771 + 229) / 100000)


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda a: a["result"].update(value=None), "no such account"),
        (lambda a: a["result"]["value"].update(owner="11111111111111111111111111111111"), "not an SPL mint"),
        (lambda a: a["result"]["value"]["data"]["parsed"]["info"].update(supply="lots"), "supply"),
    ],
)
def test_malformed_mint_accounts_raise(mutate, needle) -> None:
    acct = fx("getAccountInfo_mint_jsonParsed")
    mutate(acct)
    with pytest.raises(ParseError, match=needle):
        _safety(acct, fx("getTokenLargestAccounts"), fx("getTokenSupply_live"))
