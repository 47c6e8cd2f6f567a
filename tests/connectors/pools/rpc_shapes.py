"""Test helpers: getMultipleAccounts / getAccountInfo results in the documented jsonParsed and
base64 shapes, cloned from the real recorded accounts in tests/fixtures/solana_rpc (a Raydium
pool vault owned by the AMM authority, a mainnet mint) with the values a test needs."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

RPC = Path(__file__).parents[2] / "fixtures" / "solana_rpc"
_ACCOUNTS = json.loads((RPC / "getMultipleAccounts_token_accounts_jsonParsed.json").read_text())
_TOKEN_ACCOUNT = _ACCOUNTS["result"]["value"][0]
_MINT = json.loads((RPC / "getAccountInfo_mint_jsonParsed.json").read_text())["result"]["value"]


def token_account(mint: str, amount: int, decimals: int) -> dict[str, Any]:
    acct = copy.deepcopy(_TOKEN_ACCOUNT)
    info = acct["data"]["parsed"]["info"]
    info["mint"] = mint
    ui = amount / 10**decimals
    info["tokenAmount"] = {
        "amount": str(amount), "decimals": decimals, "uiAmount": ui, "uiAmountString": str(ui),
    }  # fmt: skip
    return acct  # type: ignore[no-any-return]


def mint_account(supply: int, decimals: int) -> dict[str, Any]:
    acct = copy.deepcopy(_MINT)
    acct["data"]["parsed"]["info"].update(supply=str(supply), decimals=decimals)
    return acct  # type: ignore[no-any-return]


def multiple(*accounts: dict[str, Any] | None) -> dict[str, Any]:
    return {"context": {"apiVersion": "2.3.6", "slot": 371598587}, "value": list(accounts)}


def base64_account(owner: str, data: bytes) -> dict[str, Any]:
    """getAccountInfo(base64) result: ``data: [<base64>, "base64"]`` (docs)."""
    return {
        "context": {"apiVersion": "2.3.6", "slot": 371598587},
        "value": {
            "data": [base64.b64encode(data).decode(), "base64"],
            "executable": False,
            "lamports": 6_124_800,
            "owner": owner,
            "rentEpoch": 18446744073709551615,
            "space": len(data),
        },
    }
