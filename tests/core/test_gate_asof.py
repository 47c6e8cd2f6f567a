"""The risk gate's as-of join: depth and safety facts as of the signal's event time, from bounded
per-mint histories, whatever order the topics were consumed in."""

from __future__ import annotations

import msgspec

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.core.risk import RiskLimits
from memesnipe.settings import RiskSettings
from memesnipe.streams.trading import Order, OrderRejection
from memesnipe.tables.risk import decode_state, encode_state
from tests.agents import riskmsgs as m


def gate(fallbacks: list[str] | None = None) -> RiskGate:
    return RiskGate(
        RiskLimits.from_settings(RiskSettings()),
        seen_max=64,
        on_fallback=fallbacks.append if fallbacks is not None else None,
    )


def test_a_depth_snapshot_after_the_signal_is_not_used_even_if_consumed_first() -> None:
    falls: list[str] = []
    st = MintRiskState()
    apply_onchain(st, m.safe("M1"))
    apply_depth(st, m.depth("M1", usd=1.0, t=0))  # too thin for any order
    apply_depth(st, m.depth("M1", usd=1_000_000.0, t=10))  # consumed ahead of the signal at t=5
    out = gate(falls).on_signal(st, m.signal("s1", "M1", t=5), ExposureBook(), None, {})
    assert isinstance(out, OrderRejection) and out.rule == "liquidity_cap"
    out = gate(falls).on_signal(st, m.signal("s2", "M1", t=10), ExposureBook(), None, {})
    assert isinstance(out, Order)  # at t=10 the deep snapshot is the as-of one
    assert falls == []


def test_only_later_depth_means_no_depth_as_of_the_signal() -> None:
    st = MintRiskState()
    apply_onchain(st, m.safe("M1"))
    apply_depth(st, m.depth("M1", t=10))
    out = gate().on_signal(st, m.signal("s1", "M1", t=5), ExposureBook(), None, {})
    assert isinstance(out, OrderRejection) and out.rule == "no_depth"


def test_a_safety_fact_after_the_signal_does_not_refuse_it() -> None:
    st = MintRiskState()
    apply_depth(st, m.depth("M1"))
    apply_onchain(st, m.safe("M1", t=0))
    apply_onchain(st, m.safe("M1", t=20, mint_authority_live=True))  # consumed before the signal
    assert st.mint_authority_live is True  # the latest consumed still says live
    out = gate().on_signal(st, m.signal("s1", "M1", t=5), ExposureBook(), None, {})
    assert isinstance(out, Order)
    out = gate().on_signal(st, m.signal("s2", "M1", t=20), ExposureBook(), None, {})
    assert isinstance(out, OrderRejection) and out.rule == "mint_authority"


def test_partial_safety_changes_fold_per_fact_as_of_the_signal() -> None:
    st = MintRiskState()
    apply_depth(st, m.depth("M1"))
    apply_onchain(st, m.safe("M1", t=0))
    ev = m.safe("M1", t=8)
    apply_onchain(
        st,
        msgspec.structs.replace(
            ev,
            mint_authority_live=None,
            freeze_authority_live=None,
            lp_locked_pct=None,
            top10_holder_pct=95.0,
        ),
    )
    apply_onchain(st, m.safe("M1", t=3, lp_locked_pct=0.0))  # late, older: still part of history
    assert st.lp_locked_pct == 0.0  # latest consumed is per fact: t=3 is lp's newest value (t=8 had none)
    facts = st.safety_asof(5.0 + m.T0.timestamp())
    assert facts is not None and facts[0] is not None
    assert (facts[0].lp_locked_pct, facts[0].top10_holder_pct) == (0.0, 20.0)
    facts = st.safety_asof(9.0 + m.T0.timestamp())
    assert facts is not None and facts[0] is not None
    assert (facts[0].lp_locked_pct, facts[0].top10_holder_pct) == (0.0, 95.0)
    assert st.safety_asof(m.T0.timestamp() - 1) == (None,)


def test_histories_are_bounded_and_an_evicted_as_of_value_falls_back_and_is_counted() -> None:
    falls: list[str] = []
    st = MintRiskState()
    for i in range(100):
        apply_depth(st, m.depth("M1", usd=1_000_000.0 + i, t=i), keep=16)
        apply_onchain(st, m.safe("M1", t=i, top10_holder_pct=float(i % 30)), keep=8)
    assert len(st.depth_hist) == 16 and len(st.safety_hist) == 8
    assert [t for t, _ in st.depth_hist] == sorted(t for t, _ in st.depth_hist)
    base = m.T0.timestamp()
    assert st.depth_asof(base + 90) == (1_000_090.0, base + 90, [])
    assert st.depth_asof(base + 10) is None  # evicted: unknowable
    # a late, old snapshot into a full history is evicted at once, never kept
    apply_depth(st, m.depth("M1", usd=5.0, t=1), keep=16)
    assert len(st.depth_hist) == 16 and st.depth_hist[0][0] >= base + 84
    # the safety fold of evicted changes is kept, so as-of times after them stay exact
    facts = st.safety_asof(base + 95)
    assert facts is not None and facts[0] is not None and facts[0].top10_holder_pct == 95 % 30
    assert st.safety_asof(base + 10) is None
    out = gate(falls).on_signal(st, m.signal("s1", "M1", t=10), ExposureBook(), None, {})
    assert isinstance(out, Order)  # the latest consumed depth/facts, as before the as-of join
    assert falls == ["depth", "safety"]


def test_state_round_trips_and_an_old_state_without_history_still_loads() -> None:
    st = MintRiskState()
    apply_onchain(st, m.safe("M1", t=1))
    apply_depth(st, m.depth("M1", t=2))
    back = decode_state(encode_state(st))
    assert back == st and back.depth_hist == st.depth_hist and back.safety_hist == st.safety_hist
    old = (
        b'{"offsets":{"signals":3},"seen":["a"],"blocked":false,"block_reason":"",'
        b'"depth_usd":1000000.0,"depth_ts":%f,"mint_authority_live":false,'
        b'"freeze_authority_live":false,"lp_locked_pct":100.0,"top10_holder_pct":20.0,'
        b'"safety_ts":%f,"perp_index":{}}' % (m.T0.timestamp() + 2, m.T0.timestamp() + 1)
    )
    legacy = decode_state(old)
    assert legacy.offsets == {"signals": 3} and legacy.depth_usd == 1_000_000.0
    assert legacy.depth_hist == [(m.T0.timestamp() + 2, 1_000_000.0)]
    falls: list[str] = []
    out = gate(falls).on_signal(legacy, m.signal("s1", "M1", t=5), ExposureBook(), None, {})
    assert isinstance(out, Order) and falls == []
    out = gate(falls).on_signal(legacy, m.signal("s0", "M1", t=0), ExposureBook(), None, {})
    assert isinstance(out, Order) and falls == ["depth", "safety"]  # older than what it knew
    again = decode_state(encode_state(legacy))
    assert again == legacy


def test_skewed_consumption_decides_like_the_event_time_sequence() -> None:
    """The backtester's order (event time) and a replay that consumed depth/onchain ahead of the
    signals give the same decisions."""
    events = [
        ("onchain", m.safe("M1", t=0)),
        ("depth", m.depth("M1", usd=1.0, t=0)),
        ("signal", m.signal("a", "M1", t=1)),
        ("depth", m.depth("M1", usd=1_000_000.0, t=2)),
        ("signal", m.signal("b", "M1", t=3)),
        ("onchain", m.safe("M1", t=4, freeze_authority_live=True)),
        ("signal", m.signal("c", "M1", t=5)),
        ("onchain", m.safe("M1", t=6)),
        ("depth", m.depth("M1", usd=2.0, t=6)),
        ("signal", m.signal("d", "M1", t=7)),
    ]

    def run(order: list[tuple[str, object]]) -> list[tuple[str, str]]:
        st, book, g, out = MintRiskState(), ExposureBook(), gate(), []
        for kind, ev in order:
            if kind == "depth":
                apply_depth(st, ev)  # type: ignore[arg-type]
            elif kind == "onchain":
                apply_onchain(st, ev)  # type: ignore[arg-type]
            else:
                d = g.on_signal(st, ev, book, None, {})  # type: ignore[arg-type]
                out.append((ev.signal_id, d.rule if isinstance(d, OrderRejection) else "order"))  # type: ignore[attr-defined]
        return out

    sequential = run(events)
    skewed = run([e for e in events if e[0] != "signal"] + [e for e in events if e[0] == "signal"])
    assert (
        sequential
        == skewed
        == [
            ("a", "liquidity_cap"),
            ("b", "order"),
            ("c", "freeze_authority"),
            ("d", "liquidity_cap"),
        ]
    )
