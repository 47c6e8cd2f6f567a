"""Contract with the router: what the real paper router builds, the signer signs; a request it
built for another wallet, or altered in flight, the signer refuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from solders.keypair import Keypair

from memesnipe.agents.routing import Router
from memesnipe.settings import load_settings
from memesnipe.signer.journal import Journal
from memesnipe.signer.keystore import SealedKey
from memesnipe.signer.signing import SigningService
from memesnipe.signer.worker import build_service
from memesnipe.streams.auth import sign_request
from memesnipe.streams.base import utcnow
from memesnipe.streams.execution import ExecutionRequest, ExecutionStatus
from memesnipe.streams.trading import Intent, Order, Side, Venue
from tests.signer.helpers import MINT


def order(side: Side, intent: Intent, amount: int, venue: Venue = Venue.JUPITER) -> Order:
    return Order(
        order_id=f"{side.value}-order-0123456789abcdef"[:32],
        signal_id="sig",
        instance_id="inst",
        family="fam",
        mint=MINT,
        ts=utcnow(),
        side=side,
        intent=intent,
        venue=venue,
        amount_in=amount,
        price_sol=0.001,
        price_usd=0.15,
        perp_market_index=0 if venue is Venue.DRIFT else None,
    )


@pytest.fixture
def routed(tmp_path: Path) -> Callable[[Order, SealedKey], tuple[ExecutionRequest, SigningService]]:
    settings = load_settings(data_dir=tmp_path)

    async def _route(o: Order, key: SealedKey) -> ExecutionRequest:
        req = await Router(settings, payer=str(key.pubkey)).route(o, None)
        return msgspec.structs.replace(req, hmac=sign_request(req, settings.hmac_secret))

    def make(o: Order, key: SealedKey) -> tuple[ExecutionRequest, SigningService]:
        import asyncio

        req = asyncio.run(_route(o, key))
        return req, build_service(settings, key, Journal(tmp_path / f"j-{o.order_id}.jsonl"))

    return make


@pytest.mark.parametrize(
    "o",
    [
        order(Side.BUY, Intent.ENTRY, 10**9),
        order(Side.SELL, Intent.EXIT, 5 * 10**6),
        order(Side.SHORT, Intent.ENTRY, 10**9, Venue.DRIFT),
        order(Side.COVER, Intent.EXIT, 10**6, Venue.DRIFT),
    ],
    ids=["buy", "sell", "short", "cover"],
)
def test_the_paper_router_output_is_signed(routed: Callable, key: SealedKey, o: Order) -> None:
    req, svc = routed(o, key)
    out = svc.handle(msgspec.json.encode(req))
    assert out.status is ExecutionStatus.SIGNED, out.reason


def test_a_request_routed_for_another_wallet_is_refused(routed: Callable, key: SealedKey) -> None:
    req, _ = routed(order(Side.BUY, Intent.ENTRY, 10**9), SealedKey(Keypair()))
    _, svc = routed(order(Side.SELL, Intent.EXIT, 10**6), key)  # a service holding OUR key
    out = svc.handle(msgspec.json.encode(req))
    assert out.status is ExecutionStatus.REFUSED and out.reason.startswith("fee payer ")


def test_a_routed_request_altered_in_flight_is_refused(routed: Callable, key: SealedKey) -> None:
    req, svc = routed(order(Side.BUY, Intent.ENTRY, 10**9), key)
    out = svc.handle(msgspec.json.encode(msgspec.structs.replace(req, intent=Intent.EXIT)))
    assert out.status is ExecutionStatus.REFUSED and out.reason == "bad hmac"
