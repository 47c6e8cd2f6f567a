"""Safety facts for the gate: top-10 WALLET share (pool vaults, bonding curves, program accounts
excluded), the pump.fun bonding curve, and the whole ``safety`` connector through the real RPC
and RugCheck clients on documented payload shapes (tests/fixtures/*/SOURCE.md)."""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.pump_fun.curve import (
    INITIAL_REAL_TOKEN_RESERVES,
    bonding_curve_address,
    decode_bonding_curve,
)
from memesnipe.connectors.solana_rpc.connector import TokenSafetyConnector
from memesnipe.connectors.solana_rpc.holders import (
    classify,
    holders,
    token_account_owners,
    top_wallet_pct,
)
from memesnipe.connectors.solana_rpc.parse import curve_event
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    LargestAccountsResult,
    MultipleAccountsResult,
    TokenSupplyResult,
)
from memesnipe.settings import load_settings
from memesnipe.streams.market import OnChainEvent

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
MINT = "3wyAj7Rt1TWVPZVteFJPLa26JmLvdb1CAKEFZm3NY75E"  # the RPC docs' example mint
PUMP_MINT = "3xM2iMg4RZBuzdFpvwYab9cUaVpniuHgLUZRg33ipump"  # a real create_v2 (../pump_fun)
WALLET = "A1TMhSGzQxMr1TboBKtgixKz1sS6REASMxPo1qsyTSJd"
RAYDIUM_AUTHORITY = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"
T0 = datetime(2026, 2, 2, tzinfo=UTC)


def fx(provider: str, name: str) -> dict:
    return json.loads((ROOT / provider / f"{name}.json").read_text())


def rpc(name: str) -> dict:
    return fx("solana_rpc", name)


def result(model, name: str):  # type: ignore[no-untyped-def]
    return model.model_validate(rpc(name)["result"])


# ---------------------------------------------------------------- concentration exclusion


def test_the_pool_authoritys_vault_is_not_a_holder_and_the_wallet_is() -> None:
    largest = result(LargestAccountsResult, "getTokenLargestAccounts")  # 771 and 229 base units
    owners = token_account_owners(
        largest, result(MultipleAccountsResult, "getMultipleAccounts_token_accounts_jsonParsed")
    )
    assert owners == [RAYDIUM_AUTHORITY, WALLET]
    hs = holders(largest, owners, result(MultipleAccountsResult, "getMultipleAccounts_owners"))
    assert [(h.wallet, h.why) for h in hs] == [(False, "Raydium AMM v4 authority"), (True, "")]
    supply = result(TokenSupplyResult, "getTokenSupply")  # 100000
    assert top_wallet_pct(hs, supply) == pytest.approx(100.0 * 229 / 100_000)  # not (771 + 229)


def test_a_bonding_curve_pda_and_program_owned_accounts_are_not_holders() -> None:
    curve_pda = bonding_curve_address(PUMP_MINT)
    assert curve_pda == "113P6U1rwkHf69wyGT4qc9JNJfW1fXrKHYsU2Yy4goF"  # the real CreateEvent's curve
    assert classify(curve_pda, None) == "program-derived address"
    assert classify(WALLET, None) == ""  # no account (0 SOL) but on the curve: a wallet
    assert classify(WALLET, "11111111111111111111111111111111") == ""
    assert classify(WALLET, "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA").startswith("account of program")
    assert classify("1nc1nerator11111111111111111111111111111111", None) == "incinerator (burn)"


def _largest(amounts: list[int]) -> LargestAccountsResult:
    return LargestAccountsResult.model_validate(
        {
            "context": {"slot": 1},
            "value": [
                {"address": f"acct{i}", "amount": str(a), "decimals": 6} for i, a in enumerate(amounts)
            ],
        }
    )


def test_a_wallets_accounts_count_together_and_a_short_page_is_bounded_from_above() -> None:
    supply = TokenSupplyResult.model_validate(
        {"context": {"slot": 1}, "value": {"amount": "1000000", "decimals": 6}}
    )
    pda = bonding_curve_address(PUMP_MINT)
    # 20 accounts (a full page): the curve holds 80%, one wallet holds two accounts
    amounts = [800_000, 30_000, 20_000] + [5_000] * 17
    owners = [pda, WALLET, WALLET] + [pda] * 17  # only one wallet among the 20 largest
    hs = holders(_largest(amounts), owners)
    # that wallet's 50_000, plus 9 unknown wallets at most the page's smallest (5_000) each
    assert top_wallet_pct(hs, supply) == pytest.approx(100.0 * (50_000 + 9 * 5_000) / 1_000_000)
    # a short page (the token has fewer accounts): nothing beyond it
    hs = holders(_largest(amounts[:3]), owners[:3])
    assert top_wallet_pct(hs, supply) == pytest.approx(5.0)


def test_owner_mismatch_and_non_token_accounts_are_parse_errors() -> None:
    largest = result(LargestAccountsResult, "getTokenLargestAccounts")
    accts = rpc("getMultipleAccounts_token_accounts_jsonParsed")["result"]
    with pytest.raises(ParseError, match="2 token accounts"):
        token_account_owners(
            largest, MultipleAccountsResult.model_validate({**accts, "value": accts["value"][:1]})
        )
    accts["value"][1] = None
    with pytest.raises(ParseError, match="not a jsonParsed token account"):
        token_account_owners(largest, MultipleAccountsResult.model_validate(accts))


# ---------------------------------------------------------------- bonding curve


def test_the_documented_bonding_curve_decodes_and_locks_the_lp_while_live() -> None:
    acct = result(AccountInfoResult, "getAccountInfo_bonding_curve_base64")
    bc = decode_bonding_curve(base64.b64decode(acct.value.data[0]))
    assert (bc.real_token_reserves, bc.real_quote_reserves, bc.complete) == (793_099_999_992_855, 13, False)
    ev = curve_event(PUMP_MINT, acct, T0)
    assert ev is not None and ev.source == "pump_fun:bonding_curve"
    assert ev.bonding_curve_pct == pytest.approx(100.0 * 7_145 / INITIAL_REAL_TOKEN_RESERVES, abs=1e-4)
    assert ev.lp_locked_pct == 100.0


def test_a_complete_curve_is_100_percent_and_says_nothing_about_lp() -> None:
    raw = rpc("getAccountInfo_bonding_curve_base64")
    data = bytearray(base64.b64decode(raw["result"]["value"]["data"][0]))
    struct.pack_into("<Q", data, 8 + 16, 0)  # real_token_reserves = 0
    data[48] = 1  # complete
    raw["result"]["value"]["data"][0] = base64.b64encode(bytes(data)).decode()
    ev = curve_event(PUMP_MINT, AccountInfoResult.model_validate(raw["result"]), T0)
    assert ev is not None and ev.bonding_curve_pct == 100.0 and ev.lp_locked_pct is None


def test_no_curve_account_means_not_a_pump_token_and_a_foreign_owner_is_an_error() -> None:
    assert curve_event(MINT, result(AccountInfoResult, "getAccountInfo_no_account"), T0) is None
    raw = rpc("getAccountInfo_bonding_curve_base64")["result"]
    raw["value"]["owner"] = "11111111111111111111111111111111"
    with pytest.raises(ParseError, match=r"not pump\.fun"):
        curve_event(MINT, AccountInfoResult.model_validate(raw), T0)


# ---------------------------------------------------------------- the connector, end to end


def _connector(
    rugcheck: dict | int, curve: str, seen: list[tuple[str, object]], report: dict | int | None = None
) -> TokenSafetyConnector:
    """``report``: the full report's answer (else the summary's, for any RugCheck path)."""
    mint_acct = rpc("getAccountInfo_mint_jsonParsed")
    mint_acct["result"]["value"]["data"]["parsed"]["info"]["decimals"] = 2  # the docs' supply has 2

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.host == "api.rugcheck.xyz":
            seen.append(("rugcheck", req.url.path))
            if report is not None and req.url.path.endswith("/report"):
                if isinstance(report, int):
                    return httpx.Response(report, json={"error": "unavailable"})
                return httpx.Response(200, json=report)
            if isinstance(rugcheck, int):
                return httpx.Response(rugcheck, json={"error": "unavailable"})
            return httpx.Response(200, json=rugcheck)
        body = json.loads(req.content)
        method, params = body["method"], body["params"]
        seen.append((method, params[0]))
        if method == "getAccountInfo":
            if params[1]["encoding"] == "jsonParsed":
                return httpx.Response(200, json=mint_acct)
            assert params[0] == bonding_curve_address(MINT)
            return httpx.Response(200, json=rpc(curve))
        if method == "getMultipleAccounts":
            assert params[1]["encoding"] == "jsonParsed"
            if params[0] == [RAYDIUM_AUTHORITY, WALLET]:
                return httpx.Response(200, json=rpc("getMultipleAccounts_owners"))
            return httpx.Response(200, json=rpc("getMultipleAccounts_token_accounts_jsonParsed"))
        return httpx.Response(
            200,
            json=rpc(
                {"getTokenLargestAccounts": "getTokenLargestAccounts", "getTokenSupply": "getTokenSupply"}[
                    method
                ]
            ),
        )

    settings = load_settings(connectors={"mints": MINT})
    return TokenSafetyConnector(settings, transport=httpx.MockTransport(handler))


async def _events(conn: TokenSafetyConnector) -> list[OnChainEvent]:
    items = await conn.fetch()
    out = [ev for it in items for ev in conn.parse(it)]
    await conn.aclose()
    assert all(isinstance(e, OnChainEvent) for e in out)
    return out  # type: ignore[return-value]


async def test_every_fact_travels_in_a_message_of_its_own_source() -> None:
    seen: list[tuple[str, object]] = []
    evs = await _events(
        _connector(fx("rugcheck", "report_summary_clean_built"), "getAccountInfo_bonding_curve_base64", seen)
    )
    by_src = {e.source: e for e in evs}
    assert set(by_src) == {"solana_rpc", "pump_fun:bonding_curve", "rugcheck"}
    rpc_ev, curve_ev, rc = by_src["solana_rpc"], by_src["pump_fun:bonding_curve"], by_src["rugcheck"]
    assert rpc_ev.mint_authority_live is False and rpc_ev.freeze_authority_live is False
    assert rpc_ev.top10_holder_pct == pytest.approx(0.229)  # the pool authority's 771 excluded
    assert rpc_ev.lp_locked_pct is None
    assert curve_ev.lp_locked_pct == 100.0 and curve_ev.bonding_curve_pct is not None
    assert rc.rugcheck_score == 1.0 and rc.rugcheck_danger == "" and rc.lp_locked_pct is None  # the curve's
    assert ("getMultipleAccounts", [RAYDIUM_AUTHORITY, WALLET]) in seen
    assert ("rugcheck", f"/v1/tokens/{MINT}/report/summary") in seen
    assert ("rugcheck", f"/v1/tokens/{MINT}/report") not in seen  # the curve holds the LP: no lockers


async def test_a_pool_token_takes_its_lp_fact_from_rugcheck() -> None:
    evs = await _events(
        _connector(fx("rugcheck", "report_summary_low_liquidity"), "getAccountInfo_no_account", [])
    )
    assert {e.source for e in evs} == {"solana_rpc", "rugcheck"}
    [rc] = [e for e in evs if e.source == "rugcheck"]
    assert rc.lp_locked_pct == 0.0 and rc.rugcheck_danger == "Low Liquidity"


async def test_rugcheck_down_costs_only_its_own_facts() -> None:
    evs = await _events(_connector(404, "getAccountInfo_no_account", []))
    assert [e.source for e in evs] == ["solana_rpc"]


async def test_a_pool_token_with_locked_lp_carries_when_its_lock_ends() -> None:
    """Summary: LP 100% locked; full report: LP lockers (tests/fixtures/rugcheck/SOURCE.md)."""
    seen: list[tuple[str, object]] = []
    evs = await _events(
        _connector(
            fx("rugcheck", "report_summary_clean_built"),
            "getAccountInfo_no_account",
            seen,
            report=fx("rugcheck", "report_lockers_built"),
        )
    )
    [rc] = [e for e in evs if e.source == "rugcheck"]
    assert rc.lp_locked_pct == 100.0 and rc.lp_unlock_ts == datetime(2026, 12, 17, tzinfo=UTC)
    assert ("rugcheck", f"/v1/tokens/{MINT}/report") in seen


async def test_a_failing_full_report_keeps_the_summarys_facts_without_an_unlock_time() -> None:
    evs = await _events(
        _connector(fx("rugcheck", "report_summary_clean_built"), "getAccountInfo_no_account", [], report=404)
    )
    [rc] = [e for e in evs if e.source == "rugcheck"]
    assert rc.lp_locked_pct == 100.0 and rc.rugcheck_score == 1.0 and rc.lp_unlock_ts is None


async def test_no_locked_lp_asks_for_no_report() -> None:
    seen: list[tuple[str, object]] = []
    await _events(
        _connector(fx("rugcheck", "report_summary_low_liquidity"), "getAccountInfo_no_account", seen)
    )
    assert ("rugcheck", f"/v1/tokens/{MINT}/report") not in seen
