"""Perp books against the venue (pure): funding the venue charged or paid, booked into the
position's PnL, and our perp positions compared with the venue's, as the spot reconciler does.

Funding (Drift v2, ``programs/drift/src/math/funding.rs``, ``calculate_funding_payment``): a
position owes ``(market cumulative rate - the rate it was last settled at) * base`` in quote
precision, ``|delta| * |base| / PRICE_PRECISION / FUNDING_RATE_BUFFER / AMM_TO_QUOTE_PRECISION_RATIO``
(= / 1e12, rounded toward zero), longs paying shorts when the delta is positive; a long is
settled against ``amm.cumulative_funding_rate_long``, a short against ``..._short``.

Booking: what a position received (+) or paid (-) since the last reading we booked is a funding
record, a ``Fill`` of no tokens and no notional carrying ``funding_lamports`` on the position's own
side (SHORT for a short): ``core.positions.apply_fill`` takes it into the position's open costs, so
its net PnL moves by the funding and nothing else does. The record's id is derived from the
position and the two rates it spans, so a replayed reading books nothing twice, and the next
reading books only the funding accrued since (``FundingMark``). Drift settles funding into the
position before any change of its base, so a settlement seen between two readings splits the
span at the settled rate: before it at the base we booked last, after it at the current base.

Positions: our open perp positions per market, in the venue's base units (BASE_PRECISION per
lot), compared with the venue's with ``core.reconcile.compare`` (a ``Holding`` per market keyed
``perp_key(index)``; a short is a positive amount on both sides).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from memesnipe.core.perp_venue import VenueAccount, VenuePosition
from memesnipe.core.reconcile import Holding, compare
from memesnipe.streams.trading import Fill, Intent, PositionStatus, PositionUpdate, Side

PRICE_PRECISION = 1_000_000
FUNDING_RATE_BUFFER = 1_000
AMM_TO_QUOTE_PRECISION_RATIO = 1_000  # AMM_RESERVE_PRECISION (1e9) / QUOTE_PRECISION (1e6)
QUOTE_PRECISION = 1_000_000
BASE_PRECISION = 1_000_000_000
LAMPORTS_PER_SOL = 1_000_000_000
FUNDING_REASON = "funding:"


def funding_payment(rate_delta: int, base_asset_amount: int) -> int:
    """Funding a position of ``base_asset_amount`` received (+) or paid (-) over a cumulative
    rate change of ``rate_delta``, in QUOTE_PRECISION, rounded as Drift rounds it."""
    if rate_delta == 0 or base_asset_amount == 0:
        return 0
    magnitude = (
        abs(rate_delta) * abs(base_asset_amount) // PRICE_PRECISION // FUNDING_RATE_BUFFER
    ) // AMM_TO_QUOTE_PRECISION_RATIO
    sign = (-1 if base_asset_amount > 0 else 1) * (1 if rate_delta > 0 else -1)
    return sign * magnitude


@dataclass(frozen=True, slots=True)
class FundingMark:
    """Where our booking of one venue position's funding stands: the market rate and the base we
    booked through."""

    rate: int
    base_asset_amount: int


def funding_since(p: VenuePosition, mark: FundingMark | None) -> tuple[int, FundingMark]:
    """Funding (QUOTE_PRECISION) accrued on ``p`` since ``mark`` (None: since the venue last
    settled it), and the mark to book from next time."""
    now = FundingMark(p.market_cumulative_funding_rate, p.base_asset_amount)
    settled = p.last_cumulative_funding_rate
    if mark is None:
        return funding_payment(now.rate - settled, p.base_asset_amount), now
    if mark.rate == settled or not _between(mark.rate, settled, now.rate):
        return funding_payment(now.rate - mark.rate, p.base_asset_amount), now
    # settled since our mark: the span up to the settlement ran at the base we last booked
    before = funding_payment(settled - mark.rate, mark.base_asset_amount)
    return before + funding_payment(now.rate - settled, p.base_asset_amount), now


def _between(lo: int, x: int, hi: int) -> bool:
    return min(lo, hi) <= x <= max(lo, hi)


def funding_lamports(quote_amount: int, sol_usd: float) -> int:
    """Quote (USDC, QUOTE_PRECISION) -> lamports at the SOL price; rounded toward zero."""
    if not sol_usd > 0:
        raise ValueError(f"SOL price must be positive to book funding, got {sol_usd}")
    return int(quote_amount / QUOTE_PRECISION / sol_usd * LAMPORTS_PER_SOL)


def funding_fill(
    book: PositionUpdate,
    p: VenuePosition,
    mark: FundingMark | None,
    quote_amount: int,
    lamports: int,
    ts: datetime,
) -> Fill:
    """The record the books apply: no tokens, no notional, the funding on the position's side."""
    start = p.last_cumulative_funding_rate if mark is None else mark.rate
    end = p.market_cumulative_funding_rate
    key = f"funding|{book.position_id or book.instance_id}|{p.market_index}|{start}|{end}"
    fid = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Fill(
        fill_id=fid,
        order_id=fid,
        instance_id=book.instance_id,
        family=book.family,
        mint=book.mint,
        ts=ts,
        side=book.side,
        intent=Intent.ENTRY,
        qty_tokens=0,
        notional_lamports=0,
        price_sol=0.0,
        funding_lamports=lamports,
        paper=False,
        reason=(
            f"{FUNDING_REASON}perp market {p.market_index} {quote_amount / QUOTE_PRECISION:+.6f} USDC "
            f"(rate {start} -> {end}, base {p.base_asset_amount})"
        ),
    )


_MARK = re.compile(r"^funding:perp market (\d+) .* \(rate (-?\d+) -> (-?\d+), base (-?\d+)\)$")


def mark_of(fill: Fill) -> tuple[int, FundingMark] | None:
    """(market, the mark it booked through) of one of our funding records, None for any other
    fill: a restarted read-back resumes from the last one and books no span twice."""
    m = _MARK.match(fill.reason) if fill.reason.startswith(FUNDING_REASON) else None
    if m is None:
        return None
    return int(m[1]), FundingMark(int(m[3]), int(m[4]))


def open_perp_books(positions: Iterable[PositionUpdate]) -> dict[int, list[PositionUpdate]]:
    """Our open shorts by perp market (largest first)."""
    out: dict[int, list[PositionUpdate]] = {}
    for u in positions:
        short = u.status is PositionStatus.OPEN and u.side is Side.SHORT and u.qty_tokens > 0
        if short and u.perp_market_index is not None:
            out.setdefault(u.perp_market_index, []).append(u)
    for held in out.values():
        held.sort(key=lambda u: (-u.qty_tokens, u.instance_id))
    return out


@dataclass(frozen=True, slots=True)
class FundingBooking:
    fills: list[Fill]
    marks: dict[int, FundingMark]  # per market: the next reading books from here
    unbooked: list[int]  # markets with funding but no open position of ours to book it to


def book_funding(
    account: VenueAccount,
    books: Iterable[PositionUpdate],
    marks: Mapping[int, FundingMark],
    *,
    sol_usd: float,
    ts: datetime,
) -> FundingBooking:
    """Funding records for one reading of the venue account: per market, the funding since its
    mark, shared among our open positions in it pro rata to their tokens (the remainder to the
    largest), so the books' funding adds up to the venue's."""
    by_market = open_perp_books(books)
    fills: list[Fill] = []
    new_marks: dict[int, FundingMark] = {}
    unbooked: list[int] = []
    for p in account.positions:
        quote, new_marks[p.market_index] = funding_since(p, marks.get(p.market_index))
        if quote == 0:
            continue
        held = by_market.get(p.market_index)
        if not held:
            unbooked.append(p.market_index)
            continue
        lamports = _shares(funding_lamports(quote, sol_usd), held)
        quotes = _shares(quote, held)
        for u, q, lam in zip(held, quotes, lamports, strict=True):
            fills.append(funding_fill(u, p, marks.get(p.market_index), q, lam, ts))
    return FundingBooking(fills, new_marks, unbooked)


def _shares(total: int, held: list[PositionUpdate]) -> list[int]:
    """``total`` split pro rata to the positions' tokens, rounded toward zero, the remainder to
    the first (largest): the shares add up to ``total``."""
    tokens = sum(u.qty_tokens for u in held)
    shares = [int(total * u.qty_tokens / tokens) for u in held]
    shares[0] += total - sum(shares)
    return shares


def perp_key(market_index: int) -> str:
    return f"perp:{market_index}"


@dataclass(frozen=True, slots=True)
class MarketUnits:
    """How a market counts our tokens: tokens per lot and the token's decimals."""

    contract_size: int
    decimals: int

    def base_amount(self, qty_tokens: int) -> int:
        """Token base units -> BASE_PRECISION per lot, rounded down (as orders are sized)."""
        return qty_tokens * BASE_PRECISION // (10**self.decimals * self.contract_size)


def compare_positions(
    account: VenueAccount,
    books: Iterable[PositionUpdate],
    units: Mapping[int, MarketUnits],
    *,
    tolerance: int = 0,
) -> tuple[list[Holding], list[Holding], list[int]]:
    """(every market of either side, the mismatched ones, markets left out because the units of
    our positions in them are unknown) with the venue as the chain side: our open shorts per
    market in base units against the venue's short base; a venue long (we never hold one) is a
    mismatch of its own, keyed ``perp:<i>:long``."""
    book: dict[str, int] = {}
    unknown: list[int] = []
    for market, held in open_perp_books(books).items():
        u = units.get(market)
        if u is None:
            unknown.append(market)
            continue
        book[perp_key(market)] = sum(u.base_amount(p.qty_tokens) for p in held)
    venue: dict[str, int] = {}
    for p in account.positions:
        if p.market_index in unknown:
            continue
        key = perp_key(p.market_index) if p.short else f"{perp_key(p.market_index)}:long"
        venue[key] = venue.get(key, 0) + abs(p.base_asset_amount)
    rows, mismatches = compare(book, venue, tolerance=tolerance)
    return rows, mismatches, sorted(unknown)
