"""Helpers for strategy scenario tests: build events on a clock, run one family in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from memesnipe.core.strategies import InProcessRunner, engine_for
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import (
    BridgeEvent,
    FundingEvent,
    MarketEvent,
    OnChainEvent,
    OnChainKind,
    PriceEvent,
    SocialEvent,
)
from memesnipe.streams.trading import Signal

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
"""A Monday, 09:00 in Seoul."""
MINT = "MintTest1111111111111111111111111111111111"


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def price(s: float, px: float, vol: float = 5_000.0, mint: str = MINT) -> PriceEvent:
    return PriceEvent(mint=mint, ts=at(s), price_usd=px, price_sol=px / 150.0, volume_usd_5m=vol)


def social(s: float, mentions: int, authors: int, window_s: int = 60) -> SocialEvent:
    return SocialEvent(mint=MINT, ts=at(s), mentions=mentions, unique_authors=authors, window_s=window_s)


def onchain(s: float, kind: OnChainKind, **kw: Any) -> OnChainEvent:
    return OnChainEvent(mint=MINT, ts=at(s), kind=kind, **kw)


def bridge(s: float, usd: float) -> BridgeEvent:
    return BridgeEvent(mint=MINT, ts=at(s), amount_usd=usd, source_chain="ethereum", bridge="wormhole")


def funding(s: float, mark: float, rate: float, market_index: int = 7) -> FundingEvent:
    return FundingEvent(
        mint=MINT, ts=at(s), market_index=market_index, funding_rate_hourly=rate, mark_price_usd=mark
    )


def run(family: str, events: list[MarketEvent], **params: Any) -> list[Signal]:
    spec = StrategySpec(instance_id=f"{family}.t", family=family, params=params)
    return InProcessRunner(engine_for([spec])).run_events(events)
