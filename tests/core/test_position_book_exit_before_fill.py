"""A strategy's exit refused by the gate before its entry filled (``exit_before_fill``): the book
claims it once the entry has filled, whichever comes first, once, with a deterministic id."""

from __future__ import annotations

import msgspec

from memesnipe.core.exits import ExitReason
from memesnipe.core.position_book import (
    EXIT_REQUESTS,
    MAX_EXIT_RESENDS,
    ExitRequest,
    MintBook,
    decode_book,
    encode_book,
    exit_source,
)
from memesnipe.core.trailing_stop import Direction
from memesnipe.streams import Side
from tests.core.test_position_book import POLICY, S0, fill, mark

LONG = Direction.LONG
WHY = "exit x1 reached the risk gate before its entry filled"


def request(book: MintBook, oids: tuple[str, ...], n: int, **kw):
    return book.request_exit("mom-1", LONG, oids, WHY, f"rej/0/{n}", S0 + n, POLICY, **kw)


def test_request_before_the_fill_exits_when_the_fill_lands() -> None:
    book = MintBook(mint="MINT")
    assert request(book, ("f0",), 0) is None
    assert book.exit_after_fill == {"f0": ExitRequest("mom-1", LONG, WHY)}
    book = decode_book(encode_book(book))  # the request is stored with the book
    out = book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)
    assert out is not None and out.exit is not None and out.position.is_open
    assert out.exit.decision.reason is ExitReason.STRATEGY
    assert out.exit.decision.detail == f"strategy: {WHY}"
    assert exit_source(out.exit.signal_id) == "exit|mom-1|long|fills/0/0"
    assert out.position.pending_exit_id == out.exit.signal_id
    assert book.exit_after_fill == {}
    # the same fill again (another offset) is a duplicate: nothing
    assert book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/1", POLICY) is None


def test_fill_before_the_request_exits_on_the_request() -> None:
    book = MintBook(mint="MINT")
    out = book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)
    assert out is not None and out.exit is None
    order = request(book, ("f0",), 1)
    assert order is not None and exit_source(order.signal_id) == "exit|mom-1|long|rej/0/1"
    assert order.decision.reason is ExitReason.STRATEGY and order.position.pending_exit_id == order.signal_id
    assert book.exit_after_fill == {}


def test_no_second_exit_while_one_is_in_flight() -> None:
    book = MintBook(mint="MINT")
    request(book, ("f0",), 0)
    out = book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)
    assert out is not None and out.exit is not None
    assert request(book, ("f0",), 1) is None  # a second strategy exit refused the same way
    assert mark(book, 80.0, 2, 2)[0].exit is None  # the stop fires, but an exit is in flight
    # the exit fills: the position is closed, a late request for it does nothing
    closed = book.apply_fill(fill(Side.SELL, 1000, 90_000, 90.0, 3), "fills/0/1", POLICY)
    assert closed is not None and not closed.position.is_open and closed.position.exit_reason == "strategy"
    assert request(book, ("f0",), 4) is None and book.exit_after_fill == {}


def test_a_stop_in_flight_before_the_fill_of_a_remembered_add_is_not_doubled() -> None:
    book = MintBook(mint="MINT")
    book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)
    (stop,) = mark(book, 80.0, 1, 1)
    assert stop.exit is not None and stop.exit.decision.reason is ExitReason.STOP_LOSS
    assert request(book, ("f2",), 2) is None  # an add not filled yet: remembered
    out = book.apply_fill(fill(Side.BUY, 500, 40_000, 80.0, 2), "fills/0/1", POLICY)
    assert out is not None and out.exit is None and book.exit_after_fill == {}


def test_the_request_must_match_the_fills_position() -> None:
    book = MintBook(mint="MINT")
    book.request_exit("mom-1", Direction.SHORT, ("f0",), "r", "rej/0/0", S0, POLICY)  # a cover
    out = book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)  # a long
    assert out is not None and out.exit is None and book.exit_after_fill == {}


def test_a_rug_exit_on_the_fill_takes_precedence() -> None:
    book = MintBook(mint="MINT")
    book.apply_rug("dev dumped", S0, "signals/0/0", POLICY)
    request(book, ("f0",), 0)
    out = book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)
    assert out is not None and out.exit is not None and out.exit.decision.reason is ExitReason.RUG
    assert book.exit_after_fill == {}


def test_our_own_exit_refused_before_the_gate_saw_the_position_is_sent_again_bounded() -> None:
    book = MintBook(mint="MINT")
    book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)
    (stop,) = mark(book, 80.0, 1, 1)
    assert stop.exit is not None
    rejected = stop.exit.signal_id
    for n in range(MAX_EXIT_RESENDS):
        again = request(book, ("f0",), 10 + n, rejected_id=rejected)
        assert again is not None and exit_source(again.signal_id) == f"exit|mom-1|long|rej/0/{10 + n}"
        assert again.decision.reason is ExitReason.STOP_LOSS and "sent again" in again.decision.detail
        rejected = again.signal_id
    assert request(book, ("f0",), 20, rejected_id=rejected) is None  # bounded
    # a refusal of some other signal (the strategy's) leaves the exit in flight alone
    assert request(book, ("f0",), 21, rejected_id="strategy-sig") is None


def test_requests_are_bounded_and_old_books_decode() -> None:
    book = MintBook(mint="MINT")
    for i in range(EXIT_REQUESTS + 5):
        request(book, (f"o{i}",), i)
    assert len(book.exit_after_fill) == EXIT_REQUESTS and "o0" not in book.exit_after_fill
    assert f"o{EXIT_REQUESTS + 4}" in book.exit_after_fill

    old = {"mint": "MINT", "offsets": {"fills": 3}, "recent_fill_ids": ["f0"]}  # stored before the fields
    b = decode_book(msgspec.msgpack.encode(old))
    assert b.exit_after_fill == {} and b.exit_resends == {} and b.offsets == {"fills": 3}
