"""The live risk gate reads the shorts' venue from its state account (mocked RPC, driftpy-encoded
State): paused or unreadable = not live (shorts refused, longs exit), live = live."""

from __future__ import annotations

import json

import httpx

from memesnipe.agents import risk_gate
from memesnipe.connectors.drift import DriftPerpBuilder
from memesnipe.connectors.drift.venue import DriftVenue
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.metrics import PERP_VENUE_LIVE
from tests.fixtures.drift.encode import account_info, state_bytes


def venue(answer: dict | None) -> DriftVenue:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if answer is None:
            return httpx.Response(503, text="node down")
        return httpx.Response(200, json={**answer, "id": body["id"]})

    rpc = SolanaRpcClient("https://rpc.example", transport=httpx.MockTransport(handle), rate_per_s=1000)
    return DriftVenue(rpc, DriftPerpBuilder("mainnet"))


async def test_the_gate_follows_the_venue_and_fails_closed() -> None:
    before = risk_gate.gate.perp_venue
    try:
        await risk_gate.refresh_perp_venue(venue(account_info(state_bytes(exchange_status=0b0000_1000))))
        assert not risk_gate.gate.perp_venue.live and "FillPaused" in risk_gate.gate.perp_venue.reason
        assert PERP_VENUE_LIVE.labels(venue="drift-v2")._value.get() == 0
        await risk_gate.refresh_perp_venue(venue(account_info(state_bytes(exchange_status=0))))
        assert risk_gate.gate.perp_venue.live
        assert PERP_VENUE_LIVE.labels(venue="drift-v2")._value.get() == 1
        await risk_gate.refresh_perp_venue(venue(None))
        assert not risk_gate.gate.perp_venue.live and "unreadable" in risk_gate.gate.perp_venue.reason
    finally:
        risk_gate.gate.perp_venue = before


async def test_an_answer_the_adapter_cannot_parse_is_not_live_either() -> None:
    """An exception the adapter does not expect (here: account data that is not base64) still
    fails closed through core.perp_venue.read_status."""
    before = risk_gate.gate.perp_venue
    bad = account_info(b"")
    bad["result"]["value"]["data"] = ["!!not base64!!", "base64"]
    try:
        await risk_gate.refresh_perp_venue(venue(bad))
        assert not risk_gate.gate.perp_venue.live
        assert risk_gate.gate.perp_venue.reason.startswith("status unknown")
    finally:
        risk_gate.gate.perp_venue = before
