"""deBridge (DLN) orders -> BridgeEvent, both directions of Solana.

A DLN order gives a token on one chain and takes a token on another (a cross-chain swap), so
unlike Wormholescan it names the Solana mint on the Solana side whatever the token's home
chain. An order that TAKES on Solana is an inflow of the take token; one that GIVES on Solana is
an outflow of the give token, published with a negative ``amount_usd`` (the strategies count
only inflows: amounts > 0). The USD value is the order's stablecoin leg (USDC/USDT/...: one
unit = $1); an order without one is left unpriced (0), as Wormholescan's unpriced transfers.
Only completed orders count (Fulfilled, SentUnlock, ClaimedUnlock: the taker delivered on the
destination); event time = the order's creation, the only time the list carries.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from memesnipe.connectors.bridge.debridge_schemas import FilteredOrders, Offer, Order
from memesnipe.connectors.bridge.parse import solana_mint
from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.runner import epoch_s, validate
from memesnipe.streams.market import BridgeEvent

PROVIDER = "debridge"
SOLANA = "7565164"
"""deBridge's chain id for Solana (its own numbering; EVM chains keep their ids)."""
COMPLETED = ("Fulfilled", "SentUnlock", "ClaimedUnlock")
STABLES = frozenset({"USDC", "USDT", "USDC.E", "USDBC", "DAI", "PYUSD", "USDS", "FDUSD"})
CHAIN_NAMES = {
    "1": "ethereum",
    "56": "bsc",
    "137": "polygon",
    "42161": "arbitrum",
    "43114": "avalanche",
    "10": "optimism",
    "8453": "base",
    "59144": "linea",
    "100000002": "gnosis",
    SOLANA: "solana",
}


def _symbol(o: Offer) -> str:
    return (o.metadata.symbol if o.metadata and o.metadata.symbol else o.symbol).upper()


def _decimals(o: Offer) -> int | None:
    return o.metadata.decimals if o.metadata and o.metadata.decimals is not None else o.decimals


def _usd(order: Order) -> float:
    """The stablecoin leg's amount in dollars, or 0 when neither leg is a stablecoin."""
    for o in (order.giveOfferWithMetadata, order.takeOfferWithMetadata):
        dec = _decimals(o)
        if _symbol(o) not in STABLES or dec is None:
            continue
        raw = (o.finalAmount.stringValue if o.finalAmount and o.finalAmount.stringValue else "") or (
            o.amount.stringValue
        )
        try:
            return float(Decimal(raw) / (Decimal(10) ** dec))
        except (InvalidOperation, ValueError):
            raise ParseError(PROVIDER, f"order {order.orderId.stringValue}: amount {raw!r}") from None
    return 0.0


def _event(order: Order) -> BridgeEvent | None:
    give, take = order.giveOfferWithMetadata, order.takeOfferWithMetadata
    if order.state not in COMPLETED or (give.chainId.stringValue == SOLANA) == (
        take.chainId.stringValue == SOLANA
    ):
        return None
    inflow = take.chainId.stringValue == SOLANA
    solana_side = take if inflow else give
    usd = _usd(order)
    tx = order.createEventTransactionHash.stringValue if order.createEventTransactionHash else ""
    try:
        mint = solana_mint(solana_side.tokenAddress.stringValue)
    except ParseError as exc:
        why = str(exc).removeprefix(f"{exc.provider}: ")
        raise ParseError(PROVIDER, f"order {order.orderId.stringValue}: {why}") from None
    return BridgeEvent(
        mint=mint,
        ts=epoch_s(order.creationTimestamp),
        source=PROVIDER,
        amount_usd=usd if inflow else -usd,
        source_chain=CHAIN_NAMES.get(give.chainId.stringValue, give.chainId.stringValue),
        bridge=PROVIDER,
        tx_id=tx or order.orderId.stringValue,
    )


def parse_orders(raw: Any) -> list[BridgeEvent]:
    resp = validate(FilteredOrders, raw, PROVIDER)
    out = [ev for o in resp.orders if (ev := _event(o)) is not None]
    return sorted(out, key=lambda e: e.ts)
