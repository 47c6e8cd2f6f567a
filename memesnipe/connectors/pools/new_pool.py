"""A pool a DEX program created, as read from its creating instruction, and what discovery
makes of it: a watchlist candidate for the pool's token and a NEW_POOL fact on ``onchain``.

The token is the side that is not a quote asset (SOL, USDC, USDT); a pool of two quote assets,
or of two unknown tokens, names no token and is skipped (nothing to snipe, or no way to say which).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from memesnipe.connectors.pools.transaction import Instruction, failed, instructions
from memesnipe.core.watchlist import Candidate
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainEvent, OnChainKind
from memesnipe.streams.watchlist import DiscoveryOrigin

USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
QUOTE_MINTS = frozenset({SOL_MINT, USDC_MINT, USDT_MINT})
QUOTE_DECIMALS = {SOL_MINT: 9, USDC_MINT: 6, USDT_MINT: 6}


@dataclass(frozen=True)
class NewPool:
    """``mint_a``/``mint_b`` and their vaults in the program's own order (coin/pc, token_0/1, x/y)."""

    source: str  # "<dex>:<instruction>", e.g. "raydium_amm_v4:initialize2"
    pool: str
    mint_a: str
    mint_b: str
    vault_a: str = ""
    vault_b: str = ""
    lp_mint: str = ""
    creator: str = ""
    signature: str = ""
    ts: datetime | None = None
    amount_a: int | None = None  # initial deposit, base units, when the program logged it
    amount_b: int | None = None

    def token(self) -> tuple[str, str] | None:
        """``(token mint, quote mint)``; None when the pool names no single token."""
        a_quote, b_quote = self.mint_a in QUOTE_MINTS, self.mint_b in QUOTE_MINTS
        if a_quote == b_quote:
            return None
        return (self.mint_b, self.mint_a) if a_quote else (self.mint_a, self.mint_b)

    def candidate(self, fallback: datetime) -> Candidate | None:
        tq = self.token()
        if tq is None:
            return None
        ts = self.ts or fallback
        return Candidate(
            tq[0], ts, DiscoveryOrigin.NEW_POOL, self.source, ts, pool=self.pool, signature=self.signature
        )

    def event(self, fallback: datetime, sol_usd: float | None = None) -> OnChainEvent | None:
        """The NEW_POOL fact; its ``pool_liquidity_usd`` = 2 x the quote deposit when the
        program told the deposit and the quote's USD price is known (SOL: ``sol_usd``)."""
        tq = self.token()
        if tq is None:
            return None
        token_side_a = tq[0] == self.mint_a
        tokens = self.amount_a if token_side_a else self.amount_b
        quote = self.amount_b if token_side_a else self.amount_a
        px = sol_usd if tq[1] == SOL_MINT else 1.0
        liq = None if quote is None or px is None else round(2 * quote / 10 ** QUOTE_DECIMALS[tq[1]] * px, 2)
        return OnChainEvent(
            mint=tq[0],
            ts=self.ts or fallback,
            source=self.source,
            kind=OnChainKind.NEW_POOL,
            signature=self.signature,
            wallet=self.creator,
            amount_tokens=float(tokens or 0),
            amount_lamports=int(quote or 0) if tq[1] == SOL_MINT else 0,
            pool_liquidity_usd=liq,
        )


Decoder = Callable[[Instruction], NewPool | None]
"""One DEX's reader: a pool-creating instruction of its program -> the pool (None: not one)."""


def block_time(tx: Mapping[str, Any]) -> datetime | None:
    t = tx.get("blockTime")
    return datetime.fromtimestamp(t, UTC) if isinstance(t, int) and t > 0 else None


def signature_of(tx: Mapping[str, Any]) -> str:
    sigs = (tx.get("transaction") or {}).get("signatures") or []
    return str(sigs[0]) if sigs else ""


def new_pools(tx: Mapping[str, Any], decoders: Mapping[str, Decoder]) -> list[NewPool]:
    """The pools a transaction created (program -> decoder); none when it failed.
    Raises TransactionShapeError when the transaction is not of a documented shape."""
    if failed(tx):
        return []
    sig, ts = signature_of(tx), block_time(tx)
    out: list[NewPool] = []
    for ix in instructions(tx):
        decode = decoders.get(ix.program)
        found = decode(ix) if decode is not None else None
        if found is not None:
            out.append(_stamp(found, sig, ts))
    return out


def _stamp(p: NewPool, sig: str, ts: datetime | None) -> NewPool:
    from dataclasses import replace

    return replace(p, signature=p.signature or sig, ts=p.ts or ts)


def tokens(pools: Iterable[NewPool]) -> list[str]:
    return [tq[0] for p in pools if (tq := p.token()) is not None]
