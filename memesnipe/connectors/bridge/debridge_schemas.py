"""Raw deBridge DLN stats API ``POST /api/Orders/filteredList`` payload (fields as documented in
its swagger, ``OrdersRequestDTO`` / the filtered order list: ``orders`` and ``totalCount``).

DLN wraps every number and address in an object carrying several encodings of the same value;
``stringValue`` is the one read here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Wrapped(_Raw):
    stringValue: str = ""


class TokenMetadata(_Raw):
    decimals: int | None = None
    name: str = ""
    symbol: str = ""


class Offer(_Raw):
    chainId: Wrapped
    tokenAddress: Wrapped
    amount: Wrapped
    finalAmount: Wrapped | None = None
    metadata: TokenMetadata | None = None
    decimals: int | None = None
    symbol: str = ""


class Order(_Raw):
    orderId: Wrapped
    creationTimestamp: int
    giveOfferWithMetadata: Offer
    takeOfferWithMetadata: Offer
    state: str = ""
    createEventTransactionHash: Wrapped | None = None


class FilteredOrders(_Raw):
    orders: list[Order]
    totalCount: int | None = None
