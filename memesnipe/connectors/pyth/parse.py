"""Hermes price update -> SolPriceEvent: price = price x 10^expo, conf likewise, event time =
the feed's ``publish_time`` (not the fetch time, so a stale oracle shows as an old event)."""

from __future__ import annotations

from typing import Any

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.pyth.schemas import PriceUpdateResponse
from memesnipe.connectors.runner import epoch_s, validate
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import SolPriceEvent

PROVIDER = "pyth"


def _norm(feed_id: str) -> str:
    return feed_id.lower().removeprefix("0x")


def parse_sol_price(raw: Any, feed_id: str) -> list[SolPriceEvent]:
    resp = validate(PriceUpdateResponse, raw, PROVIDER)
    want = _norm(feed_id)
    for upd in resp.parsed or []:
        if _norm(upd.id) != want:
            continue
        p = upd.price
        scale = 10.0**p.expo
        price = p.price * scale
        if price <= 0 or p.conf < 0:
            raise ParseError(PROVIDER, f"feed {want}: unusable price {p.price}e{p.expo} conf {p.conf}")
        return [
            SolPriceEvent(
                mint=SOL_MINT,
                ts=epoch_s(p.publish_time),
                source=PROVIDER,
                price_usd=price,
                conf_usd=p.conf * scale,
            )
        ]
    raise ParseError(PROVIDER, f"feed {want} missing from the response (was parsed=true requested?)")
