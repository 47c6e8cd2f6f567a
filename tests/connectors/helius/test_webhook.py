"""Helius webhook receiver over real local HTTP: authorised deliveries are parsed like the
poller's pages, others refused; a garbage body is kept for the dead-letter topic."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import MissingApiKeyError, ParseError
from memesnipe.connectors.helius.webhook import HeliusWebhookConnector
from memesnipe.settings import load_settings
from memesnipe.streams.market import OnChainKind

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "helius"


async def test_authorised_delivery_becomes_events_and_others_are_refused() -> None:
    settings = load_settings(
        connectors={
            "helius_webhook_auth": "Bearer s3cret-webhook",
            "helius_webhook_host": "127.0.0.1",
            "helius_webhook_port": 0,
        }
    )
    conn = HeliusWebhookConnector(settings)
    assert await conn.fetch() == []  # starts the receiver
    url = f"http://127.0.0.1:{conn.bound_port}/helius"
    body = (FIX / "webhook_swap_pump_fun.json").read_bytes()
    async with httpx.AsyncClient() as http:
        denied = await http.post(url, content=body, headers={"Authorization": "Bearer wrong"})
        ok = await http.post(url, content=body, headers={"Authorization": "Bearer s3cret-webhook"})
        junk = await http.post(url, content=b"{not json", headers={"Authorization": "Bearer s3cret-webhook"})
    assert (denied.status_code, ok.status_code, junk.status_code) == (401, 200, 200)
    items = await conn.fetch()
    await conn.aclose()
    assert len(items) == 2
    [ev] = conn.parse(items[0])
    assert ev.kind is OnChainKind.SWAP and ev.signature == json.loads(body)[0]["signature"]
    with pytest.raises(ParseError):
        conn.parse(items[1])
    assert items[1].payload == "{not json"


def test_missing_webhook_auth_names_the_setting() -> None:
    with pytest.raises(MissingApiKeyError, match="MEMESNIPE_CONNECTORS__HELIUS_WEBHOOK_AUTH"):
        HeliusWebhookConnector(load_settings())


async def test_a_delivered_sale_by_a_configured_creator_carries_its_balance_read_after_it() -> None:
    """The real swap mirrored into the buyer's SELL (tests/fixtures/helius/SOURCE.md) with the
    buyer configured as creator; the RPC answers the docs' getTokenAccountsByOwner shape."""
    from tests.connectors.helius.test_helius import BUYER, TOKEN, holdings, sell_of_the_real_swap

    asked: list[str] = []

    def rpc(req: httpx.Request) -> httpx.Response:
        asked.append(json.loads(req.content)["method"])
        return httpx.Response(200, json=holdings(BUYER, TOKEN))

    settings = load_settings(
        connectors={
            "helius_webhook_auth": "Bearer s3cret-webhook",
            "helius_webhook_host": "127.0.0.1",
            "helius_webhook_port": 0,
            "creator_wallets": f"{TOKEN}={BUYER}",
        }
    )
    conn = HeliusWebhookConnector(settings, transport=httpx.MockTransport(rpc))
    await conn.fetch()
    async with httpx.AsyncClient() as http:
        ok = await http.post(
            f"http://127.0.0.1:{conn.bound_port}/helius",
            json=sell_of_the_real_swap(),
            headers={"Authorization": "Bearer s3cret-webhook"},
        )
    [item] = await conn.fetch()
    await conn.aclose()
    evs = conn.parse(item)
    assert ok.status_code == 200 and asked == ["getTokenAccountsByOwner"]
    assert {e.kind: e.wallet_balance_tokens for e in evs} == {
        OnChainKind.DEV_SELL: 420_000_000.0,
        OnChainKind.SWAP: 420_000_000.0,
    }
