"""Bounded per-key maps (``core.bounded``) and the per-mint maps that use them."""

from __future__ import annotations

import msgspec
import pytest

from memesnipe.core import gate as gate_mod
from memesnipe.core.bounded import remember
from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.core.position_book import PERP_MARKETS_KEEP, MintBook
from memesnipe.core.risk import RiskLimits
from memesnipe.settings import RiskSettings
from memesnipe.streams.trading import Order, Side
from tests.agents import riskmsgs as m


def test_remember_keeps_the_most_recently_set_entries() -> None:
    d: dict[str, int] = {}
    for k in "abcd":
        remember(d, k, 1, keep=3)
    assert list(d) == ["b", "c", "d"]
    assert remember(d, "b", 2, keep=3) == 0  # set again: now the most recent
    assert remember(d, "e", 1, keep=3) == 1
    assert d == {"d": 1, "b": 2, "e": 1}


def test_the_books_perp_markets_are_bounded_and_keep_the_recent_instances() -> None:
    book = MintBook(mint="M")
    for i in range(PERP_MARKETS_KEEP + 10):
        book.note_perp_market(f"inst-{i}", i)
    assert len(book.perp_markets) == PERP_MARKETS_KEEP
    assert book.perp_markets[f"inst-{PERP_MARKETS_KEEP + 9}"] == PERP_MARKETS_KEEP + 9
    assert "inst-0" not in book.perp_markets
    assert book.entries() == PERP_MARKETS_KEEP


def test_the_gates_perp_index_keeps_the_recent_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate_mod, "PERP_INDEX_KEEP", 2)
    st, book = MintRiskState(), ExposureBook()
    apply_onchain(st, m.safe("M1"))
    apply_depth(st, m.depth("M1"))
    g = RiskGate(RiskLimits.from_settings(RiskSettings()), seen_max=64)
    for i in range(3):
        sig = m.signal(f"s{i}", "M1", side=Side.SHORT, perp=10 + i, t=1 + i)
        out = g.on_signal(st, msgspec.structs.replace(sig, instance_id=f"inst-{i}"), book, None, {})
        assert isinstance(out, Order)
    assert st.perp_index == {"inst-1": 11, "inst-2": 12}
