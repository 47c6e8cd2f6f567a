"""Books against the chain: what the positions say the wallet holds, compared with what it holds.

The position manager's latest ``PositionUpdate`` per (instance, mint) is the books; a long's
``qty_tokens`` are tokens in the wallet (shorts live in the perp venue's account, not in token
accounts, so they are not counted here). The chain's side is the wallet's token accounts by mint
(both token programs). A mint whose two numbers differ beyond the tolerance is a mismatch; the
reconciliation record carries both numbers, so the chain's can be adopted explicitly.

Adoption: the books take the chain's token amount through an explicit adoption fill per
position (the position manager and the ledger book it like any fill): tokens the chain lacks are
sold out of the positions at no proceeds (a realised loss of their basis), tokens it holds beyond
the books are added to the largest position at its own entry price and no cost. Tokens of a mint
no position holds (an airdrop, dust) have no price to be booked at: reported, not adopted.
Wallet value (live equity): SOL + wrapped SOL + every token the chain holds at the books' mark.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from memesnipe.streams.trading import Fill, Intent, PositionStatus, PositionUpdate, Side

SPOT_SIDES = frozenset({Side.BUY, Side.SELL})


def latest_positions(updates: Iterable[PositionUpdate]) -> dict[tuple[str, str], PositionUpdate]:
    """The latest update per (instance, mint), in the order read (one mint's updates share a
    partition, so that is the position manager's order): a position reopened after a close
    starts its ``seq`` again and wins; within one position, by ``seq`` then event time, so a
    replayed older update of it changes nothing."""
    out: dict[tuple[str, str], PositionUpdate] = {}
    for u in updates:
        key = (u.instance_id, u.mint)
        prev = out.get(key)
        if prev is None or u.position_id != prev.position_id or (u.seq, u.ts) >= (prev.seq, prev.ts):
            out[key] = u
    return out


def book_holdings(positions: Mapping[tuple[str, str], PositionUpdate]) -> dict[str, int]:
    """Token base units the books say the wallet holds, by mint (open spot longs only)."""
    out: dict[str, int] = {}
    for (_instance, mint), p in positions.items():
        if p.status is PositionStatus.OPEN and p.side in SPOT_SIDES and p.qty_tokens > 0:
            out[mint] = out.get(mint, 0) + p.qty_tokens
    return out


@dataclass(frozen=True, slots=True)
class Holding:
    mint: str
    books: int
    chain: int

    @property
    def difference(self) -> int:
        """Chain minus books: positive = the wallet holds more than the books know."""
        return self.chain - self.books


def compare(
    books: Mapping[str, int], chain: Mapping[str, int], *, tolerance: int = 0, ignore: Iterable[str] = ()
) -> tuple[list[Holding], list[Holding]]:
    """(every mint of either side, the mismatched ones) in mint order; ``ignore``: mints that are
    not positions (wSOL, the quote currency)."""
    skip = set(ignore)
    mints = sorted((set(books) | {m for m, q in chain.items() if q}) - skip)
    rows = [Holding(m, books.get(m, 0), chain.get(m, 0)) for m in mints]
    return rows, [h for h in rows if abs(h.difference) > tolerance]


def _open_longs(positions: Mapping[tuple[str, str], PositionUpdate], mint: str) -> list[PositionUpdate]:
    """The open spot longs of a mint, largest first (then by instance, for a stable order)."""
    held = [
        p
        for (_i, m), p in positions.items()
        if m == mint and p.status is PositionStatus.OPEN and p.side in SPOT_SIDES and p.qty_tokens > 0
    ]
    return sorted(held, key=lambda p: (-p.qty_tokens, p.instance_id))


@dataclass(frozen=True, slots=True)
class Adoption:
    """One position's share of a difference: ``qty`` tokens added (BUY) or removed (SELL)."""

    instance_id: str
    family: str
    mint: str
    side: Side
    qty: int
    price_sol: float  # the position's own entry price: adopting moves no price

    @property
    def delta(self) -> int:
        return self.qty if self.side is Side.BUY else -self.qty


def adoptions(
    positions: Mapping[tuple[str, str], PositionUpdate], mismatches: Iterable[Holding]
) -> tuple[list[Adoption], list[Holding]]:
    """How the books take the chain's amounts: (adoptions, mismatches that cannot be adopted)."""
    out: list[Adoption] = []
    left: list[Holding] = []
    for h in mismatches:
        held = _open_longs(positions, h.mint)
        if h.difference > 0 and held:
            p = held[0]
            out.append(Adoption(p.instance_id, p.family, h.mint, Side.BUY, h.difference, p.entry_price_sol))
            continue
        missing = -h.difference
        if missing <= 0 or not held:
            left.append(h)
            continue
        for p in held:
            take = min(p.qty_tokens, missing)
            if take <= 0:
                break
            price = p.entry_price_sol if p.entry_price_sol > 0 else p.mark_price_sol
            out.append(Adoption(p.instance_id, p.family, h.mint, Side.SELL, take, price))
            missing -= take
    return out, left


def adoption_fill(a: Adoption, reading: str, ts: datetime) -> Fill:
    """The explicit record the books apply: a fill of the difference at no SOL, its id derived
    from the reading and the position (a replayed reading books nothing twice)."""
    fid = hashlib.sha256(f"reconcile|{reading}|{a.instance_id}|{a.mint}".encode()).hexdigest()[:32]
    return Fill(
        fill_id=fid,
        order_id=fid,
        instance_id=a.instance_id,
        family=a.family,
        mint=a.mint,
        ts=ts,
        side=a.side,
        intent=Intent.ENTRY if a.side is Side.BUY else Intent.EXIT,
        qty_tokens=a.qty,
        notional_lamports=0,
        price_sol=a.price_sol,
        paper=False,
        reason=f"reconcile:adopt the chain's amount ({a.delta:+d} tokens, reading {reading})",
    )


ADOPTION_REASON = "reconcile:"


def wallet_value(
    sol_lamports: int,
    chain: Mapping[str, int],
    positions: Mapping[tuple[str, str], PositionUpdate],
    *,
    sol_mint: str,
) -> tuple[int, list[str]]:
    """The wallet's value in lamports: its SOL, its wrapped SOL and every token it holds at the
    books' mark (the open positions' marked value per base unit); and the mints held that no
    position prices (valued 0)."""
    total = sol_lamports + chain.get(sol_mint, 0)
    unpriced: list[str] = []
    for mint, qty in sorted(chain.items()):
        if mint == sol_mint or qty <= 0:
            continue
        held = _open_longs(positions, mint)
        units = sum(p.qty_tokens for p in held)
        value = sum(p.cost_lamports + p.unrealized_gross_pnl_lamports for p in held)
        if units <= 0 or value <= 0:
            unpriced.append(mint)
            continue
        total += qty * value // units
    return total, unpriced
