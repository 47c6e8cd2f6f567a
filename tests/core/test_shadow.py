"""Shadow books (core.shadow), shadow returns (core.ledger) and reviving a strategy at zero."""

from __future__ import annotations

from datetime import UTC, datetime

from memesnipe.core.allocator import SharpeAllocator, StrategyStats, pick_returns, starved
from memesnipe.core.ledger import PositionPnl, StrategyLedger
from memesnipe.core.shadow import apply_rejection, shadow_amount
from memesnipe.core.sharpe import rolling_sharpe
from memesnipe.streams.trading import Intent, OrderRejection, Side

T0 = 1_700_000_000.0


def rej(sid: str, side: Side, price: float, *, rule: str = "no_allocation", t: float = 0.0) -> OrderRejection:
    intent = Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT
    return OrderRejection(
        signal_id=sid,
        instance_id="starved",
        mint="M1",
        ts=datetime.fromtimestamp(T0 + t, UTC),
        side=side,
        intent=intent,
        rule=rule,
        reason="test",
        price_sol=price,
        price_usd=price * 150,
    )


KW = {"amount_lamports": 100_000_000, "fee_bps": 25, "slippage_bps": 50, "taker_fee_bps": 10}


def test_a_refused_entry_and_its_exit_book_a_hypothetical_round_trip() -> None:
    book: dict[str, PositionPnl] = {}
    assert apply_rejection(book, rej("e1", Side.BUY, 0.001), **KW) is not None
    pos = book["starved"]
    assert pos.direction == "long" and pos.qty > 0 and pos.realized < 0  # costs booked
    assert pos.apply_mark(0.0012, 6, T0 + 5)
    assert pos.unrealized > 0
    assert apply_rejection(book, rej("x1", Side.SELL, 0.0012, rule="no_position", t=10), **KW) is not None
    assert pos.qty == 0 and pos.realized > 0  # +20 % less costs


def test_only_zero_allocation_entries_and_held_exits_go_to_the_shadow() -> None:
    book: dict[str, PositionPnl] = {}
    assert apply_rejection(book, rej("e1", Side.BUY, 0.001, rule="liquidity_cap"), **KW) is None
    assert apply_rejection(book, rej("x1", Side.SELL, 0.001, rule="no_position"), **KW) is None
    assert book == {}
    assert shadow_amount(0.5, 100 * 10**9, 0.02, 0.05) == 50_000_000


def test_shadow_returns_are_own_plus_shadow_pnl_per_period() -> None:
    led = StrategyLedger()
    kw = {"period_s": 3600, "capital": 10**11, "keep": 100}
    led.apply("M1", -1_000_000, 0, 1, T0, **kw)
    led.apply("M1", 5_000_000, 0, 1, T0 + 10, shadow=True, **kw)
    led.advance(int((T0 + 3600) // 3600), 10**11, 100)
    assert led.returns[-1] == -1e-5 and led.shadow_returns[-1] == 4e-5


def test_the_allocator_revives_a_starved_strategy_whose_shadow_recovers() -> None:
    """Own returns: losses, then flat zero at zero allocation (it can never recover on them).
    Shadow returns: the same losses, then the refused signals' hypothetical gains."""
    min_samples, window = 24, 48
    own = [-0.001] * 24 + [0.0] * 48
    shadow = [-0.001] * 24 + [0.0005 + 0.0002 * (i % 3) for i in range(48)]

    def estimate(r: list[float]) -> tuple[float, int]:
        e = rolling_sharpe(r, period_s=3600, window=window, min_samples=min_samples)
        return e.shrunk, e.samples

    alloc = SharpeAllocator(min_samples=min_samples)
    # after the losses alone: starved on both series
    series, on_shadow = pick_returns(own[:24], shadow[:24], estimate, min_samples)
    assert on_shadow and starved(*estimate(series), min_samples)
    assert alloc.allocate({"s": StrategyStats(*estimate(series))})["s"].weight == 0.0
    # on own returns only it would stay at zero forever
    assert alloc.allocate({"s": StrategyStats(*estimate(own))})["s"].weight == 0.0
    # judged on its shadow, it gets capital again
    series, on_shadow = pick_returns(own, shadow, estimate, min_samples)
    assert on_shadow
    w = alloc.allocate({"s": StrategyStats(*estimate(series))})["s"]
    assert w.weight > 0 and w.reason.startswith("sharpe")
    # an allocated strategy with good own returns keeps its own series
    good = [0.001 + 0.0001 * (i % 2) for i in range(30)]
    assert pick_returns(good, shadow, estimate, min_samples) == (good, False)
