"""Wormholescan operations -> BridgeEvent for Solana tokens moving in and out of Solana.

An operation is an inflow when its standardized properties send a token to Wormhole chain 1
(Solana), an outflow when they send one from it (published with a negative ``amount_usd``; the
strategies count only inflows). The event's mint is the Solana mint only when the token *is* a
Solana token (``tokenChain`` 1, e.g. a memecoin bridged back home or leaving); a foreign token
arrives as a wrapped mint that must be derived from the token bridge program and is skipped
here (deBridge, the second source, names the Solana mint of any token). ``amount_usd`` is
Wormholescan's ``data.usdAmount`` (0 when it did not price the transfer). Event time = arrival
on the target chain (``targetChain.timestamp``) when completed, else the source-chain time.
"""

from __future__ import annotations

from typing import Any

from solders.pubkey import Pubkey

from memesnipe.connectors.bridge.schemas import Operation, OperationsResponse
from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.runner import validate
from memesnipe.streams.market import BridgeEvent

PROVIDER = "wormhole"
SOLANA = 1
CHAIN_NAMES = {
    1: "solana",
    2: "ethereum",
    4: "bsc",
    5: "polygon",
    6: "avalanche",
    10: "fantom",
    23: "arbitrum",
    24: "optimism",
    30: "base",
    21: "sui",
    22: "aptos",
}


def solana_mint(token_address: str) -> str:
    """Wormholescan gives Solana addresses base58 or as 32-byte hex; return base58."""
    addr = token_address.removeprefix("0x")
    try:
        if len(addr) == 64:
            return str(Pubkey.from_bytes(bytes.fromhex(addr)))
        return str(Pubkey.from_string(token_address))
    except ValueError:
        raise ParseError(PROVIDER, f"tokenAddress {token_address!r} is not a Solana address") from None


def _event(op: Operation) -> BridgeEvent | None:
    sp = op.content.standarizedProperties if op.content else None
    if sp is None or sp.tokenChain != SOLANA or not sp.tokenAddress:
        return None
    if (sp.toChain == SOLANA) == (sp.fromChain == SOLANA):  # neither end (or both) is Solana
        return None
    sign = 1.0 if sp.toChain == SOLANA else -1.0
    when = (op.targetChain.timestamp if op.targetChain and op.targetChain.timestamp else None) or (
        op.sourceChain.timestamp if op.sourceChain else None
    )
    if when is None:
        raise ParseError(PROVIDER, f"operation {op.id} has no timestamp")
    usd = 0.0
    if op.data and op.data.usdAmount:
        try:
            usd = float(op.data.usdAmount)
        except ValueError:
            raise ParseError(PROVIDER, f"operation {op.id}: usdAmount {op.data.usdAmount!r}") from None
    tx = op.sourceChain.transaction.txHash if op.sourceChain and op.sourceChain.transaction else ""
    return BridgeEvent(
        mint=solana_mint(sp.tokenAddress),
        ts=when,
        source=PROVIDER,
        amount_usd=sign * usd,
        source_chain=CHAIN_NAMES.get(sp.fromChain, str(sp.fromChain)),
        bridge=PROVIDER,
        tx_id=tx or op.id,
    )


def parse_operations(raw: Any) -> list[BridgeEvent]:
    resp = validate(OperationsResponse, raw, PROVIDER)
    out = [ev for op in resp.operations if (ev := _event(op)) is not None]
    return sorted(out, key=lambda e: e.ts)
