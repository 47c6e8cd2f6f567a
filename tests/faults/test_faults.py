"""Issue #13 item 1, the fault suite: the whole paper pipeline (workers, signer, analytics sink
into chDB) over a seeded simulated market, each run on its own private Kafka broker, while

- a worker is SIGKILLed mid-stream and restarted,
- a second worker is started and later stopped (two rebalances),
- the signer and the analytics sink are SIGKILLed and restarted,
- the broker is restarted once,

in a fixed order (``scheduled``) and at random moments from a seed (``random``). Every run must be
exactly once (every signal one decision, every order one request, one answer and one fill, every
fill one ClickHouse row, nothing signed twice, no id with two contents), and equal to a clean run
of the same seed by idempotency key (signals, decisions, orders, requests, signatures, fills,
final positions, PnL, allocations, ClickHouse fills). The second holds only in some runs: see
``KNOWN_DIVERGENCE``.

CI size here (``MEMESNIPE_FAULTS_EVENTS``, default 3000; the three runs go at the same time);
full size: ``python scripts/faults.py --events 20000 --seed 3 --scenario both``.
Select with ``pytest -m faults``.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.faults.harness import FAULTS, Outcome, Report, RunConfig, exactly_once, run_suite

pytestmark = [pytest.mark.faults, pytest.mark.integration]

EVENTS = int(os.environ.get("MEMESNIPE_FAULTS_EVENTS", "3000"))
SEED = int(os.environ.get("MEMESNIPE_FAULTS_SEED", "3"))  # a seed whose first 3000 events trade
RATE = float(os.environ.get("MEMESNIPE_FAULTS_RATE", "40"))


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, dict[str, tuple[Outcome, Report]]]:
    base = tmp_path_factory.mktemp("faults")
    try:
        clean, results = run_suite(
            base, RunConfig(EVENTS, SEED, RATE), ["scheduled", "random"], clean_rate=RATE, parallel=True
        )
    finally:  # processes and brokers are stopped by run_scenario; logs go too unless asked to keep
        if not os.environ.get("MEMESNIPE_FAULTS_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    return clean, {sc: (got, report) for sc, got, report in results}


KNOWN_DIVERGENCE = (
    "Finding (seed 3, 3000 events; in clean runs too, at 40/s and at max speed; not every run): "
    "how many exit orders close a position depends on timing. rug_pull_sniffer.default held a short on "
    "AN7BdW7Z... while an add order was in flight; when the trailing stop at mark faults.price/2/400 "
    "fires before the add's fill is booked, it closes the first position (1,207,300,492 tokens) and, "
    "re-applying the marks the late fill missed, closes the position that fill opened with a second "
    "exit (8,030,997,373 tokens); when the add fills first, one exit sells all 9,238,297,865 tokens. "
    "Exit ids now carry the position (core.position_book.exit_signal_id), so the second exit is no "
    "longer dropped by the risk gate as the first one seen again (it was: the position stayed open "
    "until exit_retry_s). Likewise a strategy exit becomes an order (the gate sees the position) or "
    "exit_before_fill (sent after the fill under another id) depending on fill latency."
)


def assert_exactly_once(problems: dict[str, list[str]]) -> None:
    """No problem within the run; one exception, the known one: the position manager re-sending an
    exit (the remainder of a partial one) under an id already used, with other content."""
    known = {
        k: v
        for k, v in problems.items()
        if k == "signal re-emitted with other content" and all(i.startswith("exit|") for i in v)
    }
    rest = {k: v for k, v in problems.items() if k not in known}
    assert not rest, rest
    if known:
        pytest.xfail(f"{KNOWN_DIVERGENCE} Here: {known}")


def test_the_clean_run_trades_exactly_once(suite) -> None:
    clean, _ = suite
    assert clean.events == EVENTS
    assert len(clean.fills) >= 10, "the seeded market must give the chain work"
    problems, lost, _ = exactly_once(clean)
    assert lost == 0, problems
    assert_exactly_once(problems)
    assert clean.signed == set(clean.fills) == set(clean.ch_fills) == set(clean.orders)
    assert clean.allocations and clean.positions and clean.pnl["totals"]["fills"] == len(clean.fills)


@pytest.mark.parametrize("scenario", ["scheduled", "random"])
def test_the_faulted_pipeline_is_exactly_once(suite, scenario: str) -> None:
    """Every signal one decision, every order one request, one answer and one fill, every fill one
    ClickHouse row, nothing signed twice, no id with two contents: whatever the faults did."""
    _, results = suite
    got, report = results[scenario]
    if isinstance(got, BaseException):
        raise got
    print(f"\n{scenario} faults:", *got.history, sep="\n  ")
    print(*report.lines(), sep="\n")
    done = [line.split()[0] for line in got.history if line.split()[0] in FAULTS]
    assert sorted(done) == sorted(FAULTS), f"every fault must have happened: {got.history}"
    f = report.figures
    assert f["lost"] == 0, "\n".join(report.lines())
    assert_exactly_once(report.problems)
    assert f["duplicated"] == 0
    assert f["signed"] == f["fills"] == f["clickhouse_fills"] == f["orders"] > 0


@pytest.mark.xfail(strict=False, reason=KNOWN_DIVERGENCE)
@pytest.mark.parametrize("scenario", ["scheduled", "random"])
def test_the_faulted_pipeline_equals_the_clean_run(suite, scenario: str) -> None:
    """The same signals, decisions, orders, requests, signatures, fills, final positions, PnL,
    allocations and ClickHouse fills as the clean run of the same seed, by idempotency key."""
    clean, results = suite
    got, report = results[scenario]
    if isinstance(got, BaseException):
        pytest.fail(f"the {scenario} run failed: {got!r}")
    assert report.equal_to_clean, "\n".join(report.lines())
    assert report.figures["fills"] == len(clean.fills)
