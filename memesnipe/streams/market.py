"""The seven market events. One topic per type, keyed by token mint; time is the event's own."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from memesnipe.streams.base import Message, Mint, UtcDatetime


class MarketEvent(Message, frozen=True, kw_only=True, tag_field="type", gc=False):
    """Common fields: the token, when it happened (event time, UTC) and who reported it.

    ``gc=False``: events hold only scalars and lists of scalars, never cycles, so the garbage
    collector need not track the millions a backtest keeps alive."""

    mint: Mint
    ts: UtcDatetime
    source: str = ""


class PriceEvent(MarketEvent, frozen=True, kw_only=True, tag="price"):
    """Spot price observation. ``volume_usd_5m`` is the traded volume over the 5 min up to ``ts``,
    ``trades_5m`` the number of trades (buys + sells) in it (0 = not reported by the source)."""

    price_usd: float = msgspec.field(default=0.0)
    price_sol: float = 0.0
    volume_usd_5m: float = 0.0
    trades_5m: int = 0
    liquidity_usd: float = 0.0
    decimals: int = 6


class SocialEvent(MarketEvent, frozen=True, kw_only=True, tag="social"):
    """Mention count of a token over ``window_s`` seconds ending at ``ts``."""

    mentions: int = 0
    unique_authors: int = 0
    window_s: int = 60


class DepthLevel(msgspec.Struct, frozen=True, gc=False):
    size_usd: float
    impact_bps: float


class DepthEvent(MarketEvent, frozen=True, kw_only=True, tag="depth"):
    """Price impact of a buy at several sizes (from quotes or pool reserves)."""

    levels: list[DepthLevel] = []
    liquidity_usd: float = 0.0


class BridgeEvent(MarketEvent, frozen=True, kw_only=True, tag="bridge"):
    """A bridged inflow of the token to Solana."""

    amount_usd: float = 0.0
    source_chain: str = ""
    bridge: str = ""
    tx_id: str = ""


class FundingEvent(MarketEvent, frozen=True, kw_only=True, tag="funding"):
    """Perp funding and mark/oracle prices; ``funding_rate_hourly`` is a fraction per hour."""

    market_index: int = -1
    perp_symbol: str = ""
    funding_rate_hourly: float = 0.0
    mark_price_usd: float = 0.0
    oracle_price_usd: float = 0.0


class SolPriceEvent(MarketEvent, frozen=True, kw_only=True, tag="sol_price"):
    """SOL/USD from an oracle (Pyth): price = raw x 10^expo, with its confidence."""

    price_usd: float = 0.0
    conf_usd: float = 0.0


class OnChainKind(StrEnum):
    SWAP = "swap"
    NEW_POOL = "new_pool"
    NEW_MINT = "new_mint"
    TRANSFER = "transfer"
    DEV_SELL = "dev_sell"
    LP_ADD = "lp_add"
    LP_REMOVE = "lp_remove"
    AIRDROP = "airdrop"
    SAFETY = "safety"
    HOLDERS = "holders"


class TradeDirection(StrEnum):
    """Which way a wallet traded the token: BUY = token in, SOL out; SELL = token out, SOL in."""

    BUY = "buy"
    SELL = "sell"


class OnChainEvent(MarketEvent, frozen=True, kw_only=True, tag="onchain"):
    """An on-chain fact about a token; which optional fields are set depends on ``kind``."""

    kind: OnChainKind
    signature: str = ""
    wallet: str = ""
    amount_usd: float = 0.0
    amount_tokens: float = 0.0
    # a wallet's trade (SWAP, DEV_SELL): its direction and the SOL it paid or received, in lamports;
    # LP_ADD / LP_REMOVE: the SOL side deposited or withdrawn; NEW_POOL: the initial SOL side
    direction: TradeDirection | None = None
    amount_lamports: int = 0
    # holdings and holders
    wallet_balance_tokens: float | None = None
    holders: int | None = None
    recipients: int | None = None
    # token safety
    mint_authority_live: bool | None = None
    freeze_authority_live: bool | None = None
    lp_locked_pct: float | None = None
    lp_unlock_ts: UtcDatetime | None = None
    top10_holder_pct: float | None = None
    pool_liquidity_usd: float | None = None
    # token safety from RugCheck's report summary: normalised score (0-100, higher = riskier) and
    # its danger-level risk names, "; "-joined ("" = none)
    rugcheck_score: float | None = None
    rugcheck_danger: str | None = None
    # pump.fun bonding-curve progress in percent (100 = complete)
    bonding_curve_pct: float | None = None


SAFETY_FACTS = (
    "mint_authority_live",
    "freeze_authority_live",
    "lp_locked_pct",
    "top10_holder_pct",
    "rugcheck_score",
    "rugcheck_danger",
    "bonding_curve_pct",
)
"""The ``OnChainEvent`` fields that are token-safety facts (a message may carry only some): what
the risk gate keeps per mint and the strategy runner stamps on signals (``trading.SafetyStamp``)."""


AnyMarketEvent = (
    PriceEvent | SocialEvent | DepthEvent | BridgeEvent | FundingEvent | SolPriceEvent | OnChainEvent
)

MARKET_EVENT_TYPES: dict[str, type[MarketEvent]] = {
    "price": PriceEvent,
    "social": SocialEvent,
    "depth": DepthEvent,
    "bridge": BridgeEvent,
    "funding": FundingEvent,
    "sol_price": SolPriceEvent,
    "onchain": OnChainEvent,
}
