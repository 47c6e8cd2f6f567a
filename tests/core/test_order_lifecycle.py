import pytest

from memesnipe.core.order_lifecycle import (
    ALLOWED,
    TERMINAL,
    IllegalTransition,
    can_transition,
    is_stale,
    next_state,
    path_to,
)
from memesnipe.streams.trading import OrderState as S


def test_happy_live_path_is_allowed_step_by_step():
    state = S.NEW
    for target in (S.ROUTED, S.SIGNED, S.SUBMITTED, S.LANDED):
        state = next_state(state, target)
    assert state is S.LANDED


def test_paper_path_skips_submitted():
    assert can_transition(S.SIGNED, S.LANDED)


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
@pytest.mark.parametrize("target", list(S))
def test_terminal_states_never_move(terminal, target):
    if target is terminal:
        assert next_state(terminal, target) is None  # replay is a no-op
    else:
        with pytest.raises(IllegalTransition, match=f"{terminal.value} -> {target.value}"):
            next_state(terminal, target, "o1")


def test_going_backwards_is_illegal_and_named():
    with pytest.raises(IllegalTransition) as exc:
        next_state(S.SUBMITTED, S.ROUTED, "abc")
    assert "order abc" in str(exc.value) and "submitted -> routed" in str(exc.value)


def test_rejected_only_before_submission():
    assert can_transition(S.NEW, S.REJECTED)
    assert can_transition(S.ROUTED, S.REJECTED)
    assert not can_transition(S.SUBMITTED, S.REJECTED)
    assert not can_transition(S.NEW, S.LANDED)


def test_every_state_has_a_rule_and_every_nonterminal_can_end():
    assert set(ALLOWED) == set(S)
    for s in S:
        if s not in TERMINAL:
            assert path_to(s, S.FAILED)[-1] is S.FAILED


def test_path_to_fills_in_intermediate_states():
    assert path_to(S.ROUTED, S.LANDED) == [S.SIGNED, S.LANDED]
    assert path_to(S.NEW, S.SUBMITTED) == [S.ROUTED, S.SIGNED, S.SUBMITTED]
    assert path_to(S.LANDED, S.LANDED) == []
    with pytest.raises(IllegalTransition):
        path_to(S.LANDED, S.SIGNED)


def test_stale_detects_late_messages():
    assert is_stale(S.SUBMITTED, S.SIGNED)
    assert is_stale(S.LANDED, S.SUBMITTED)
    assert not is_stale(S.SIGNED, S.SUBMITTED)


def test_only_terminal_orders_past_the_retention_may_be_deleted():
    from datetime import UTC, datetime, timedelta

    from memesnipe.core.order_lifecycle import TERMINAL_RETENTION_S, expired_terminal

    now = datetime(2026, 1, 10, tzinfo=UTC)
    old = now - timedelta(seconds=TERMINAL_RETENTION_S + 1)
    recent = now - timedelta(seconds=TERMINAL_RETENTION_S - 1)
    records = [
        ("landed-old", S.LANDED, old),
        ("rejected-old", S.REJECTED, old),
        ("landed-recent", S.LANDED, recent),
        ("submitted-old", S.SUBMITTED, old),  # still moving: never swept however old
        ("routed-old", S.ROUTED, old),
    ]
    assert expired_terminal(records, now) == ["landed-old", "rejected-old"]
    # the retention outlives Kafka's default topic retention (7 days): no copy of the id is left
    assert TERMINAL_RETENTION_S > 7 * 86_400
