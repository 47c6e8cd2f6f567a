"""Issue 7's parity proof: one recording, replayed through Kafka (publish-file -> the real
worker and signer) and through the in-process backtester, gives the same signals and fills."""

from __future__ import annotations

import collections
import dataclasses
from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest

from memesnipe.backtest import Backtester
from memesnipe.backtest.recording import read_events, write_recording
from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.streams.trading import Intent
from tests.integration.pipeline import NON_BINDING_GLOBAL_LIMITS, collect, prepare, start_signer, workers
from tests.support.kafka import Process

pytestmark = pytest.mark.integration

START = datetime(2026, 4, 6, 0, 0, tzinfo=UTC)
SINGLE_TOPIC_FAMILIES = {
    "momentum_5m",
    "mean_revert_1h",
    "korean_time_burst",
    "social_buzz",
    "bridge_inflow",
    "airdrop_rotation",
    "follow_wallets",
}


# A known race, not yet designed out (issue #14 item 2, "parity by construction"): in a max-speed
# replay the strategy runner runs far ahead of the fill loop, so the risk gate can execute a
# strategy's exit at T (it sees the position the position manager published) before the position
# manager, applying that position's marks, claims a stop or rug exit at an earlier C < T; the
# backtester exits at C. It needs event-time watermarks between the stages (the position manager
# ordering every exit of a position); until then a run that lost the race is run again, at most
# twice, and any divergence that repeats fails.
RACE_RERUNS = pytest.mark.flaky(reruns=2, only_rerun=["AssertionError"])


def strategy_signal(s) -> tuple:
    return (s.instance_id, s.mint, s.ts, s.side, s.intent, round(s.strength, 9), s.reason)


def fill_view(f) -> tuple:
    return (f.instance_id, f.mint, f.ts, f.side, f.intent, f.qty_tokens, f.notional_lamports, f.cost_lamports)


def record(env, tmp_path):
    """The recording (and the backtester's run of it) both parity tests replay."""
    rec = tmp_path / "recording"
    sim = MarketSimulator(5, 8, START, tick_s=15.0, pump_prob=0.02, rug_prob=0.006)
    write_recording(islice(sim.events(), 8_000), rec, prefix=env.prefix, partitions=env.partitions)
    expected = Backtester(default_specs(), env.settings()).run(read_events(rec))
    assert expected.fills, "the recording must trade"
    return rec, expected


def publish(env, rec) -> None:
    pub = Process(["memesnipe", "publish-file", str(rec), "--max-speed"], env.env, env.data_dir / "pub.log")
    pub.proc.wait(120)
    assert pub.proc.returncode == 0, pub.output()


@RACE_RERUNS
async def test_backtest_and_kafka_replay_give_the_same_signals_and_fills(isolated_env, tmp_path):
    """The recording published at max speed into the topics of a running worker and signer."""
    env = isolated_env
    env.extra.update(NON_BINDING_GLOBAL_LIMITS)
    # a replay runs with the event-time reorder window (docs/EVENT_TIME.md); live keeps 0
    env.extra["MEMESNIPE_KAFKA__REORDER_WINDOW_S"] = "1800"
    # ...and the position manager keeps marks and depth over the recording's whole span: a
    # max-speed replay reads fills hours of event time after the marks that follow them
    env.extra["MEMESNIPE_EXITS__MARK_HISTORY_S"] = "86400"
    env.extra["MEMESNIPE_EXITS__MARK_HISTORY"] = "4000"
    rec, expected = record(env, tmp_path)
    await prepare(env)
    procs = [*workers(env, 1), start_signer(env)]
    try:
        publish(env, rec)
        got = await collect(env, min_fills=len(expected.fills))
    finally:
        for p in procs:
            p.stop()
    assert_parity(got, expected)


@RACE_RERUNS
async def test_backtest_and_the_replay_command_give_the_same_signals_and_fills(isolated_env, tmp_path):
    """``memesnipe replay --from``: the recording sits on the topics (published at max speed,
    nothing consuming it); the command copies the range into its own topics and runs its own
    worker and signer, with the reorder window and exit history it sets itself."""
    env = isolated_env
    env.extra.update(NON_BINDING_GLOBAL_LIMITS)
    rec, expected = record(env, tmp_path)
    await prepare(env)
    since = datetime.now(UTC) - timedelta(minutes=1)  # broker timestamps: the publish wall time
    publish(env, rec)
    replay = Process(
        ["memesnipe", "replay", "--from", since.isoformat(), "--run-id", "par", "--max-seconds", "600"],
        env.env,
        env.data_dir / "replay.log",
    )
    try:
        replay.wait_for("copied", timeout_s=120)
        out = dataclasses.replace(env, prefix=env.prefix + "replay-par.")
        got = await collect(out, min_fills=len(expected.fills), group=f"{env.app_id}-replay-par")
    finally:
        replay.stop()
    assert "done" in replay.output()  # SIGTERM stopped it (and its children) cleanly
    assert_parity(got, expected)


def assert_parity(got, expected) -> None:
    def from_strategies(sigs, families=None):
        return collections.Counter(
            strategy_signal(s)
            for s in sigs
            if s.meta.get("source") != "position_manager" and (families is None or s.family in families)
        )

    # Every family's signals: exact (the runner applies inputs in event-time order across topics
    # with the reorder window, and stamps prices as of each event).
    single = from_strategies(got.signals, SINGLE_TOPIC_FAMILIES)
    assert single and single == from_strategies(expected.signals, SINGLE_TOPIC_FAMILIES)
    assert from_strategies(got.signals) == from_strategies(expected.signals)
    # Entry fills: exact. The router fills each order at the price and depth as of its signal's
    # event time; in this max-speed replay its own histories no longer reach that far back, so it
    # uses the price and depth the strategy runner stamped on the signal (the backtester's).
    entries = collections.Counter(fill_view(f) for f in got.fills if f.intent is Intent.ENTRY)
    assert entries and entries == collections.Counter(
        fill_view(f) for f in expected.fills if f.intent is Intent.ENTRY
    )
    # Exit fills: exact too. The position manager re-applies the marks a late fill missed (its
    # history spans the recording here), sees a rug only from its event time on, claims a
    # strategy exit refused before its entry filled at that exit's own moment, and stamps every
    # exit with the market of its moment (price, and depth from its own depth history), which
    # the router fills on.
    gf = collections.Counter(map(fill_view, got.fills))
    ef = collections.Counter(map(fill_view, expected.fills))
    diff = {k: (gf.get(k), ef.get(k)) for k in set(gf) | set(ef) if gf.get(k) != ef.get(k)}
    assert not diff, "\n".join(f"got/expected {v}: {k}" for k, v in sorted(diff.items(), key=repr))
    exits = [f for f in expected.fills if f.intent is Intent.EXIT]
    assert len(exits) >= 5 and {f.family for f in exits} >= {"momentum_5m", "dev_wallet_drain"}
    # the eleventh family trades through the same gate, allocator and exits
    assert {f.family for f in expected.fills if f.intent is Intent.ENTRY} >= {"follow_wallets"}
