"""Perp books against the venue: Drift's funding rule (checked against driftpy's own math),
funding records the books apply (core.positions, the books' own accounting), and our shorts
compared with the venue's positions."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import msgspec
import pytest
from driftpy.math.perp_position import calculate_position_funding_pnl

from memesnipe.core.perp_books import (
    FundingMark,
    MarketUnits,
    book_funding,
    compare_positions,
    funding_payment,
    funding_since,
    mark_of,
)
from memesnipe.core.perp_venue import VenueAccount, VenuePosition
from memesnipe.core.positions import Direction, apply_fill, new_position
from memesnipe.streams.trading import Fill, Intent, PositionStatus, PositionUpdate, Side

TS = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
WIF_MINT = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
BONK_MINT = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"


@pytest.mark.parametrize("base", [5 * 10**9, -5 * 10**9, 123_456_789, -987_654_321_000])
@pytest.mark.parametrize("delta", [2_500_333, -2_500_333, 1, -7, 10**12 + 3])
def test_funding_is_drifts_rule_rounded_toward_zero(base: int, delta: int) -> None:
    """driftpy computes the same payment in floats; Drift's program rounds its magnitude down."""
    market = SimpleNamespace(
        amm=SimpleNamespace(cumulative_funding_rate_long=delta, cumulative_funding_rate_short=delta)
    )
    position = SimpleNamespace(base_asset_amount=base, last_cumulative_funding_rate=0)
    ref = calculate_position_funding_pnl(market, position)
    assert funding_payment(delta, base) == int(ref)  # int() truncates toward zero


def test_longs_pay_shorts_when_the_rate_rises() -> None:
    # a rate rise of $1 per unit (FUNDING_RATE_PRECISION 1e9) on one unit (BASE_PRECISION 1e9)
    assert funding_payment(10**9, 10**9) == -1_000_000  # a long pays $1 (QUOTE_PRECISION)
    assert funding_payment(10**9, -(10**9)) == 1_000_000  # a short receives it
    assert funding_payment(-(10**9), -(10**9)) == -1_000_000
    assert funding_payment(0, 10**9) == funding_payment(10**9, 0) == 0


def short(market: int, base: int, settled: int, now: int) -> VenuePosition:
    return VenuePosition(market, base, 0, 0, settled, now)


def test_funding_since_books_each_span_once_and_splits_at_a_settlement() -> None:
    first, mark = funding_since(short(23, -5 * 10**9, 1_000_000, 3_000_000), None)
    assert first == funding_payment(2_000_000, -5 * 10**9) == 10_000
    assert mark == FundingMark(3_000_000, -5 * 10**9)
    again, same = funding_since(short(23, -5 * 10**9, 1_000_000, 3_000_000), mark)
    assert again == 0 and same == mark  # the same reading again: nothing more
    later, mark2 = funding_since(short(23, -5 * 10**9, 1_000_000, 3_400_000), mark)
    assert later == 2_000 and mark2.rate == 3_400_000  # only what accrued since
    # Drift settled at 3_600_000 when the short grew to 10: before it at 5, after it at 10
    grown, _ = funding_since(short(23, -10 * 10**9, 3_600_000, 4_000_000), mark2)
    assert grown == funding_payment(200_000, -5 * 10**9) + funding_payment(400_000, -10 * 10**9) == 5_000


def update(instance: str, mint: str, market: int, qty: int, *, side: Side = Side.SHORT) -> PositionUpdate:
    return PositionUpdate(
        instance_id=instance,
        mint=mint,
        ts=TS,
        status=PositionStatus.OPEN,
        side=side,
        qty_tokens=qty,
        entry_price_sol=0.01,
        mark_price_sol=0.01,
        cost_lamports=qty * 10,
        realized_pnl_lamports=0,
        unrealized_pnl_lamports=0,
        position_id=f"{instance}|{mint}|short|f0",
        family="f",
        perp_market_index=market,
    )


def opened(u: PositionUpdate):
    fill = Fill(
        fill_id=f"open-{u.instance_id}",
        order_id="o",
        instance_id=u.instance_id,
        family="f",
        mint=u.mint,
        ts=TS,
        side=Side.SHORT,
        intent=Intent.ENTRY,
        qty_tokens=u.qty_tokens,
        notional_lamports=u.cost_lamports,
        price_sol=0.01,
        paper=False,
    )
    pos = new_position(fill, Direction.SHORT)
    apply_fill(pos, fill)
    return pos


def test_funding_records_move_each_positions_net_pnl_by_its_share() -> None:
    a, b = update("a", WIF_MINT, 23, 3_000_000), update("b", WIF_MINT, 23, 1_000_000)
    acct = VenueAccount((short(23, -4 * 10**9, 1_000_000, 3_000_000),), 1_000.0, 0.0)
    booked = book_funding(acct, [a, b], {}, sol_usd=200.0, ts=TS)
    # 2e6 x 4e9 / 1e12 = 8,000 (QUOTE_PRECISION) = $0.008 received, at $200/SOL 40,000 lamports, 3:1
    assert [(f.instance_id, f.funding_lamports) for f in booked.fills] == [("a", 30_000), ("b", 10_000)]
    assert all(f.qty_tokens == 0 and f.notional_lamports == 0 and f.side is Side.SHORT for f in booked.fills)
    assert booked.marks == {23: FundingMark(3_000_000, -4 * 10**9)} and booked.unbooked == []
    assert mark_of(booked.fills[1]) == (23, FundingMark(3_000_000, -4 * 10**9))  # a restart resumes here
    pa = opened(a)
    assert mark_of(Fill(**{**msgspec.structs.asdict(booked.fills[0]), "reason": "reconcile:adopt"})) is None
    before_net, before_gross = pa.unrealized_net_lamports(), pa.unrealized_gross_lamports()
    apply_fill(pa, booked.fills[0])
    assert pa.qty == 3_000_000 and pa.unrealized_gross_lamports() == before_gross
    assert pa.unrealized_net_lamports() - before_net == 30_000
    # the same reading again books nothing new; a replayed record keeps its id
    again = book_funding(acct, [a, b], booked.marks, sol_usd=200.0, ts=TS)
    assert again.fills == []
    replay = book_funding(acct, [a, b], {}, sol_usd=200.0, ts=TS)
    assert [f.fill_id for f in replay.fills] == [f.fill_id for f in booked.fills]


def test_funding_on_a_market_we_hold_nothing_in_is_reported_not_booked() -> None:
    acct = VenueAccount((short(5, -(10**9), 0, 10**9),), 0.0, 0.0)
    booked = book_funding(acct, [update("a", WIF_MINT, 23, 10)], {}, sol_usd=150.0, ts=TS)
    assert booked.fills == [] and booked.unbooked == [5]


def test_positions_compared_in_the_venues_units_report_the_difference() -> None:
    units = {4: MarketUnits(1_000_000, 5), 23: MarketUnits(1, 6)}  # 1MBONK-PERP, WIF-PERP
    books = [update("a", BONK_MINT, 4, 3_000_000 * 10**5), update("b", WIF_MINT, 23, 40 * 10**6)]
    agree = VenueAccount((VenuePosition(4, -3 * 10**9, 0), VenuePosition(23, -40 * 10**9, 0)), 0.0, 0.0)
    rows, bad, unknown = compare_positions(agree, books, units)
    assert [(h.mint, h.books, h.chain) for h in rows] == [
        ("perp:23", 40 * 10**9, 40 * 10**9),
        ("perp:4", 3 * 10**9, 3 * 10**9),
    ]
    assert bad == [] and unknown == []
    differ = VenueAccount(
        (VenuePosition(4, -4 * 10**9, 0), VenuePosition(23, -40 * 10**9, 0), VenuePosition(0, 2 * 10**9, 0)),
        0.0,
        0.0,
    )
    _, bad, _ = compare_positions(differ, books, units)
    assert [(h.mint, h.difference) for h in bad] == [("perp:0:long", 2 * 10**9), ("perp:4", 10**9)]
    _, bad, unknown = compare_positions(differ, books, {23: units[23]})
    assert unknown == [4] and [h.mint for h in bad] == ["perp:0:long"]  # market 4 left out, not guessed


def test_the_position_book_applies_a_funding_record_once() -> None:
    """The position manager's own book (core.position_book): an open short takes the funding into
    its net PnL, its size and basis untouched; the same record again is a duplicate."""
    from memesnipe.core.position_book import BookPolicy, MintBook

    policy = BookPolicy(exit_retry_s=30, publish_min_change=0.01, publish_interval_s=10, rug_ttl_s=600)
    u = update("a", WIF_MINT, 23, 3_000_000)
    book = MintBook(mint=WIF_MINT)
    book.note_perp_market("a", 23)
    open_fill = Fill(
        fill_id="open-a",
        order_id="o",
        instance_id="a",
        family="f",
        mint=WIF_MINT,
        ts=TS,
        side=Side.SHORT,
        intent=Intent.ENTRY,
        qty_tokens=3_000_000,
        notional_lamports=30_000_000,
        price_sol=0.01,
        paper=False,
    )
    pos = book.apply_fill(open_fill, "fills/0/0", policy).position
    net, basis = pos.unrealized_net_lamports(), pos.basis_lamports
    (f,) = book_funding(
        VenueAccount((short(23, -3 * 10**9, 1_000_000, 3_000_000),), 0.0, 0.0), [u], {}, sol_usd=200.0, ts=TS
    ).fills
    out = book.apply_fill(f, "fills/0/1", policy)
    assert out is not None and out.position.qty == 3_000_000 and out.position.basis_lamports == basis
    assert out.position.unrealized_net_lamports() - net == f.funding_lamports == 30_000
    assert book.apply_fill(f, "fills/0/2", policy) is None
