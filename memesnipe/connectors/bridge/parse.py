"""Wormholescan operations -> BridgeEvent for Solana tokens moving in and out of Solana.

An operation is an inflow when its standardized properties send a token to Wormhole chain 1
(Solana), an outflow when they send one from it (published with a negative ``amount_usd``; the
strategies count only inflows). The event's mint is the token's own when it *is* a Solana token
(``tokenChain`` 1, e.g. a memecoin bridged back home or leaving); a foreign token lives on
Solana as the token bridge's wrapped mint, the program address of ``["wrapped", tokenChain (u16
big-endian), tokenAddress (32 bytes, left-padded)]`` under the token bridge program (Wormhole's
SDK ``deriveWrappedMintKey``; WETH from Ethereum gives Portal's ``7vfCX...voxs``). ``amount_usd`` is
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


TOKEN_BRIDGE = Pubkey.from_string("wormDTUJ6AWPNvk59vGQbDvGJmqbDTdgWgAqcLBCgUb")
"""Wormhole's token bridge program on Solana mainnet: owner of every wrapped mint."""


def wrapped_mint(token_chain: int, token_address: str) -> str | None:
    """The Solana mint of a foreign token; None when the address is not hex of at most 32 bytes."""
    try:
        raw = bytes.fromhex(token_address.removeprefix("0x"))
    except ValueError:
        return None
    if not raw or len(raw) > 32 or not 0 < token_chain < 2**16:
        return None
    seeds = [b"wrapped", token_chain.to_bytes(2, "big"), raw.rjust(32, b"\0")]
    return str(Pubkey.find_program_address(seeds, TOKEN_BRIDGE)[0])


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
    if sp is None or not sp.tokenAddress or not sp.tokenChain:
        return None
    if (sp.toChain == SOLANA) == (sp.fromChain == SOLANA):  # neither end (or both) is Solana
        return None
    if sp.tokenChain == SOLANA:
        mint = solana_mint(sp.tokenAddress)
    elif (wrapped := wrapped_mint(sp.tokenChain, sp.tokenAddress)) is not None:
        mint = wrapped
    else:
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
        mint=mint,
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
