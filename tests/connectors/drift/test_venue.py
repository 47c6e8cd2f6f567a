"""Drift v2 as the perp venue: State decoding (driftpy-encoded), status over getAccountInfo, and
preflight's output when the venue is paused (only remote HTTP is mocked)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from memesnipe.agents.preflight import failures, format_checks, run_checks
from memesnipe.connectors.drift import DriftPerpBuilder
from memesnipe.connectors.drift.state import account_bytes, decode_state, exchange_status_bits, status_flags
from memesnipe.connectors.drift.venue import DriftVenue
from memesnipe.connectors.jito import JitoClient
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.settings import load_settings
from tests.fixtures.drift.encode import account_info, state_bytes

FIX = Path(__file__).parents[2] / "fixtures"
PAUSED = json.loads((FIX / "drift" / "getAccountInfo_state_paused.json").read_text())
PAYER = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"


def test_exchange_status_bits_come_from_driftpys_idl_in_bit_order() -> None:
    assert exchange_status_bits()[:4] == ("DepositPaused", "WithdrawPaused", "AmmPaused", "FillPaused")
    assert status_flags(0) == ()
    assert status_flags(0b0010_0100) == ("AmmPaused", "FundingPaused")


def test_a_driftpy_encoded_state_decodes_and_the_fixture_is_that_encoding() -> None:
    raw = state_bytes(exchange_status=0b0000_1000, number_of_markets=77, number_of_spot_markets=40)
    st = decode_state(raw)
    assert st.flags == ("FillPaused",) and st.paused and st.number_of_markets == 77
    assert account_bytes(PAUSED["result"]) == raw
    assert not decode_state(state_bytes(exchange_status=0b0010_0000)).paused  # funding paused only
    assert decode_state(state_bytes(exchange_status=0)).flags == ()


def rpc_transport(state: dict) -> httpx.MockTransport:
    answers = {
        "getAccountInfo": state,
        "getLatestBlockhash": json.loads((FIX / "solana_rpc" / "getLatestBlockhash.json").read_text()),
        "getBalance": json.loads((FIX / "solana_rpc" / "getBalance.json").read_text()),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json={**answers[body["method"]], "id": body["id"]})

    return httpx.MockTransport(handle)


def jito() -> JitoClient:
    tips = json.loads((FIX / "jito" / "get_tip_accounts.json").read_text())
    return JitoClient(
        "https://mainnet.block-engine.jito.wtf",
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={**tips, "id": json.loads(r.content)["id"]})
        ),
    )


async def test_the_venue_reports_paused_from_its_state_account() -> None:
    rpc = SolanaRpcClient("https://rpc.example", transport=rpc_transport(PAUSED))
    st = await DriftVenue(rpc, DriftPerpBuilder("mainnet")).status()
    assert not st.live and "FillPaused" in st.reason and st.source.startswith("State ")
    live = SolanaRpcClient("https://rpc.example", transport=rpc_transport(account_info(state_bytes())))
    assert (await DriftVenue(live, DriftPerpBuilder("mainnet")).status()).live


async def test_preflight_shows_a_paused_perp_venue_without_failing_longs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = load_settings(signer={"wallet_pubkey": PAYER}, jupiter={"api_key": "k"})
    rpc = SolanaRpcClient("https://rpc.example", transport=rpc_transport(PAUSED))

    async def kill() -> tuple[bool, str]:
        return False, ""

    checks = await run_checks(
        s,
        rpc=rpc,
        jito=jito(),
        kill_switch_active=kill,
        check_key_file=False,
        perp_venue=DriftVenue(rpc, DriftPerpBuilder("mainnet")),
    )
    lines = format_checks(checks)
    print("\n".join(lines))
    venue = next(c for c in checks if c.name.startswith("perp venue"))
    assert venue.ok and venue.warn and venue not in failures(checks)
    line = next(x for x in lines if "perp venue" in x)
    assert line.startswith("  [WARN] perp venue drift-v2") and "FillPaused" in line
    assert "short theses degrade to exit longs and block entries" in line
