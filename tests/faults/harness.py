"""The fault suite's harness: the whole paper pipeline (workers, signer, analytics sink) over a
seeded simulated market on a private broker, with faults injected mid-stream, and the
exactly-once comparison of its outcome with a clean run of the same seed.

Both runs use the same topic prefix, app id, run id and paper key, each on its own fresh broker,
so every id of the chain (signal_id -> order_id -> request_id -> fill_id) and every signature is
byte-identical between them; only wall-clock fields (``created_at``, an ``updated_at``, a
scheduled allocation's ``ts``) may differ and are left out of the comparison.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import StrategyAllocation
from memesnipe.streams.execution import ExecutionRequest, ExecutionResult
from memesnipe.streams.market import MarketEvent
from memesnipe.streams.trading import Fill, Intent, Order, OrderRejection, PositionUpdate, Signal
from tests.faults.broker import PrivateBroker
from tests.integration.pipeline import NON_BINDING_GLOBAL_LIMITS, prepare, simulated_events
from tests.support.kafka import IsolatedEnv, Process, free_port
from tests.support.settle import WORKER_INPUTS
from tests.support.settle import settle as settled

PREFIX = "faults."
APP_ID = "faults"
RUN_ID = "faults"

# The replay configuration that makes the pipeline's outcome a function of the events alone
# (tests/integration/test_parity.py): inputs applied in event-time order, exit history over the
# whole stream, cross-partition limits non-binding. Plus the wall-clock timeouts a fault's pause
# (a rebalance waiting out a killed member's session, a broker restart) would trip while a clean
# run never does: an expired order, a stale-request refusal or a re-sent exit differ by design,
# not by a fault, so they are kept out of reach. The signer's daily cap is lifted because which
# request meets a full cap depends on the signer's cross-partition order.
FAULT_SETTINGS = {
    **NON_BINDING_GLOBAL_LIMITS,
    "MEMESNIPE_KAFKA__REORDER_WINDOW_S": "1800",
    "MEMESNIPE_EXITS__MARK_HISTORY_S": "86400",
    "MEMESNIPE_EXITS__MARK_HISTORY": "4000",
    "MEMESNIPE_SIGNER__MAX_REQUEST_AGE_S": "0",
    "MEMESNIPE_SIGNER__DAILY_CAP_LAMPORTS": str(10**15),
    "MEMESNIPE_EXECUTION__ORDER_EXPIRY_S": "86400",
    "MEMESNIPE_RISK__PENDING_TTL_S": "86400",
    "MEMESNIPE_EXITS__EXIT_RETRY_S": "86400",
    "MEMESNIPE_CLICKHOUSE__RUN_ID": RUN_ID,
    "MEMESNIPE_CLICKHOUSE__FLUSH_INTERVAL_S": "0.5",
}

FAULTS = ("kill_worker", "add_worker", "kill_signer", "kill_analytics", "restart_broker", "remove_worker")


def log(msg: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {msg}", flush=True)


@dataclass(frozen=True)
class Fault:
    at: float  # share of the events published before it starts
    action: str  # one of FAULTS
    delay_s: float = 0.0  # wait after reaching ``at`` (random scenario)
    down_s: float = 0.0  # time a killed process (or the broker) stays down


def scheduled_plan() -> list[Fault]:
    """Every fault once, in a fixed order, spread over the stream."""
    return [
        Fault(0.12, "kill_worker"),
        Fault(0.25, "add_worker"),
        Fault(0.40, "kill_signer"),
        Fault(0.52, "kill_analytics"),
        Fault(0.64, "restart_broker"),
        Fault(0.78, "remove_worker"),
    ]


def random_plan(seed: int) -> list[Fault]:
    """Every fault once, at random moments and in a random order from ``seed`` (the second
    worker is added before it is removed), after random delays and with random downtimes."""
    rng = random.Random(seed)
    actions = list(FAULTS)
    rng.shuffle(actions)
    a, r = actions.index("add_worker"), actions.index("remove_worker")
    if r < a:
        actions[a], actions[r] = actions[r], actions[a]
    points = sorted(rng.uniform(0.05, 0.9) for _ in actions)
    return [
        Fault(round(p, 3), act, round(rng.uniform(0.0, 3.0), 2), round(rng.uniform(0.0, 4.0), 2))
        for p, act in zip(points, actions, strict=True)
    ]


def plan_for(scenario: str, seed: int) -> list[Fault]:
    if scenario == "clean":
        return []
    if scenario == "scheduled":
        return scheduled_plan()
    if scenario == "random":
        return random_plan(seed)
    raise ValueError(f"unknown scenario {scenario!r} (clean, scheduled, random)")


# ---------------------------------------------------------------------------------------------
# One run of the pipeline


class Pipeline:
    """Workers, signer and analytics of one run on its private broker; every fault as a method."""

    def __init__(self, base: Path, key_path: Path) -> None:
        self.base = base
        self.broker = PrivateBroker(base / "kafka")
        data = base / "data"
        data.mkdir(parents=True, exist_ok=True)
        self.env = IsolatedEnv(self.broker.bootstrap, PREFIX, APP_ID, data, self.broker.partitions)
        self.env.extra.update(FAULT_SETTINGS)
        self.env.extra["MEMESNIPE_SIGNER__PAPER_KEY_PATH"] = str(key_path)
        self.procs: dict[str, Process] = {}
        self.starts: collections.Counter[str] = collections.Counter()
        self.history: list[str] = []
        self.name = base.name

    # -- processes --------------------------------------------------------------------------
    def _log(self, name: str) -> str:
        self.starts[name] += 1
        return f"{name}-{self.starts[name]}"

    def start(self, name: str) -> None:
        incarnation = self._log(name)
        if name.startswith("worker"):
            self._start_worker(name, incarnation)
        elif name == "signer":
            p = Process(["memesnipe.signer"], self.env.env, self.env.data_dir / f"{incarnation}.log")
            self.procs[name] = p
            p.wait_for("signer ready", timeout_s=120)
        elif name == "analytics":
            args = ["memesnipe", "analytics", "--port", str(free_port()), "--no-cockpit"]
            p = Process(args, self.env.env, self.env.data_dir / f"{incarnation}.log")
            self.procs[name] = p
        else:
            raise ValueError(name)

    def _start_worker(self, name: str, incarnation: str, ready_s: float = 150.0) -> None:
        """``memesnipe worker``, registered before it is waited for (stopped whatever happens).
        A first worker on a fresh broker sometimes never gets ready (Faust: "Ignoring missing
        topic: '...-changelog'" while the topics it just created propagate): killed and started
        once more, written into the history."""
        env = self.env.env
        env["MEMESNIPE_WEB_PORT"] = str(free_port())
        args = ["memesnipe", "worker", "-l", "info", "--without-web"]
        for attempt in (1, 2):
            log_name = incarnation if attempt == 1 else f"{incarnation}-again"
            p = self.procs[name] = Process(args, env, self.env.data_dir / f"{log_name}.log")
            try:
                p.wait_for("Ready", timeout_s=ready_s)
                return
            except TimeoutError:
                if attempt == 2:
                    raise
                self.procs.pop(name).kill()
                self.history.append(
                    f"{name} not ready in {ready_s:.0f}s (Faust start-up): SIGKILL, started again"
                )
                log(f"{self.name}: {self.history[-1]}")

    def kill(self, name: str) -> None:
        self.procs.pop(name).kill()

    def stop(self, name: str) -> None:
        self.procs.pop(name).stop()

    def stop_all(self) -> None:
        for name in list(self.procs):
            try:
                self.stop(name)
            except Exception as exc:  # keep stopping the others
                log(f"stopping {name}: {exc}")

    def boot(self) -> None:
        """Broker, topics and specs, then a warm-up worker started and stopped: on a fresh broker
        the first worker races the creation of its own changelog topics and of the group
        coordinator ("Ignoring missing topic", GroupCoordinatorNotAvailable) and may stay without
        its partitions; after the warm-up they exist. Then worker0, the signer and the sink."""
        self.broker.start()
        asyncio.run(prepare(self.env))
        self.start("worker-warmup")
        self.stop("worker-warmup")
        for name in ("worker0", "signer", "analytics"):
            self.start(name)

    def shutdown(self, keep: bool = False) -> None:
        """Stop every process, then the broker; delete its data unless ``keep``."""
        try:
            self.stop_all()
        finally:
            if keep:
                self.broker.stop()
            else:
                self.broker.remove()


# ---------------------------------------------------------------------------------------------
# The feed and the faults


class Feed:
    """Publishes the events in event-time order at a steady rate, never past a fault that has not
    started yet (so every fault lands mid-stream), and not while the broker is being restarted."""

    def __init__(self, env: IsolatedEnv, events: list[MarketEvent], rate: float) -> None:
        self.env = env
        self.events = events
        self.rate = rate
        self.sent = 0
        self.limit = len(events)
        self.running = asyncio.Event()
        self.running.set()
        self.idle = asyncio.Event()  # set while paused with nothing in flight

    async def run(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.env.bootstrap, linger_ms=5, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            chunk = max(1, int(self.rate / 10)) if self.rate > 0 else 2000
            t0 = time.monotonic()
            budget = 0.0
            while self.sent < len(self.events):
                if not self.running.is_set() or self.sent >= self.limit:
                    self.idle.set()
                    paused = time.monotonic()
                    while not self.running.is_set() or self.sent >= self.limit:
                        await asyncio.sleep(0.05)
                    self.idle.clear()
                    t0 += time.monotonic() - paused  # the rate resumes, no catch-up burst
                end = min(self.sent + chunk, self.limit, len(self.events))
                futs = []
                for ev in self.events[self.sent : end]:
                    tag = str(type(ev).__struct_config__.tag)
                    futs.append(
                        await producer.send(self.env.topic(tag), value=encode(ev), key=ev.mint.encode())
                    )
                await asyncio.gather(*futs)
                budget += end - self.sent
                self.sent = end
                if self.rate > 0:
                    ahead = t0 + budget / self.rate - time.monotonic()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
            self.idle.set()
        finally:
            await producer.stop()

    async def pause(self) -> None:
        self.running.clear()
        await self.idle.wait()

    def resume(self) -> None:
        self.running.set()


class Injector:
    """Runs a plan's faults against a pipeline while its feed runs."""

    def __init__(self, pipe: Pipeline, feed: Feed) -> None:
        self.pipe = pipe
        self.feed = feed

    async def _blocking(self, fn: Callable[..., Any], *args: Any) -> None:
        await asyncio.to_thread(fn, *args)

    async def run(self, plan: list[Fault]) -> None:
        n = len(self.feed.events)
        marks = [int(f.at * n) for f in plan]
        self.feed.limit = marks[0] if plan else n
        for i, fault in enumerate(plan):
            while self.feed.sent < marks[i]:
                await asyncio.sleep(0.05)
            self.feed.limit = marks[i + 1] if i + 1 < len(plan) else n
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            t0, at = time.monotonic(), self.feed.sent
            what = await self.apply(fault)
            line = f"{fault.action} at event {at}/{n}: {what} ({time.monotonic() - t0:.1f}s)"
            self.pipe.history.append(line)
            log(f"{self.pipe.name}: {line}")
        self.feed.limit = n

    async def apply(self, fault: Fault) -> str:
        pipe = self.pipe
        down: Callable[[], Awaitable[None]] = lambda: asyncio.sleep(fault.down_s)  # noqa: E731
        if fault.action == "kill_worker":
            workers = sorted(w for w in pipe.procs if w.startswith("worker"))
            victim = random.Random(fault.at).choice(workers)
            pipe.kill(victim)
            await down()
            await self._blocking(pipe.start, victim)
            return f"SIGKILL {victim}, restarted"
        if fault.action == "add_worker":
            await self._blocking(pipe.start, "worker1")
            return "worker1 started (rebalance)"
        if fault.action == "remove_worker":
            await self._blocking(pipe.stop, "worker1")
            return "worker1 stopped (rebalance)"
        if fault.action in ("kill_signer", "kill_analytics"):
            name = fault.action.removeprefix("kill_")
            pipe.kill(name)
            await down()
            await self._blocking(pipe.start, name)
            return f"SIGKILL {name}, restarted"
        if fault.action == "restart_broker":
            await self.feed.pause()
            try:
                await self._blocking(pipe.broker.stop)
                await down()
                await self._blocking(pipe.broker.start)
            finally:
                self.feed.resume()
            return "broker stopped and started"
        raise ValueError(fault.action)


# ---------------------------------------------------------------------------------------------
# Waiting for the end


GROUP_INPUTS = {
    # topics each group must have consumed to the end (a worker left without partitions too)
    APP_ID: WORKER_INPUTS,
    f"{APP_ID}-signer": ("exec_requests",),
    f"{APP_ID}-analytics": ("signals", "orders", "fills", "positions"),
}


async def settle(env: IsolatedEnv, *, idle_s: float, timeout_s: float) -> dict[str, int]:
    """Wait until no topic of the run grows for ``idle_s`` and the workers, the signer and the
    sink have committed everything they consume."""
    groups = {g: [env.topic(t) for t in inputs] for g, inputs in GROUP_INPUTS.items()}
    return await settled(env.bootstrap, groups, topics_prefix=PREFIX, idle_s=idle_s, timeout_s=timeout_s)


# ---------------------------------------------------------------------------------------------
# What a run produced


def _view(msg: msgspec.Struct, drop: tuple[str, ...] = ()) -> str:
    d = msgspec.to_builtins(msg)
    for k in drop:
        d.pop(k, None)
    return json.dumps(d, sort_keys=True)


def position_fields_as_of_processing(p: PositionUpdate) -> tuple[str, ...]:
    """Fields of a position update that say how far the position manager had read when it sent
    it, not what the position is: ``seq`` counts updates (late fills re-apply marks read ahead of
    them), and a CLOSED position's last update carries the latest mark read when its closing fill
    was booked (``ts``, ``mark_price_sol``, and the best price and stop of marks re-applied up to
    it), which depends on how far the price topic ran ahead of the fills. Its money (qty, cost,
    realized PnL, fees), ids, fill time and exit reason must be equal."""
    if p.status.value == "closed":
        return ("seq", "ts", "mark_price_sol", "peak_price_sol", "stop_price_sol")
    return ("seq",)


EXIT_REFUSALS_AS_OF_PROCESSING = {"no_position", "exit_before_fill", "exit_pending"}
"""The gate refuses an exit from its lagging global view of positions and pending orders: which
of these three it names depends on how far the fills and position updates had reached it (the
entry still pending, its position already closed by a stop, another exit in flight). None of them
makes an order; the position manager sends the exit itself after ``exit_before_fill`` only when
no exit is in flight, so the orders and fills, which are compared, show a difference in effect."""


WALL_CLOCK = {
    # fields stamped from the wall clock, which differ between two clean runs too
    "exec_requests": ("created_at", "hmac"),
    "allocations": ("ts",),
}


@dataclass
class Outcome:
    events: int
    signals: dict[str, set[str]] = field(default_factory=dict)  # signal_id -> distinct records
    decisions: dict[str, set[str]] = field(default_factory=dict)  # signal_id -> order ids / "rejected:rule"
    orders: dict[str, set[str]] = field(default_factory=dict)  # order_id -> distinct records
    requests: dict[str, set[str]] = field(default_factory=dict)  # request_id -> distinct records
    results: dict[str, set[str]] = field(default_factory=dict)  # request_id -> distinct (status, signature)
    journal: dict[str, list[str]] = field(default_factory=dict)  # request_id -> journaled statuses
    fills: dict[str, set[str]] = field(default_factory=dict)  # fill_id -> distinct records
    positions: dict[str, str] = field(default_factory=dict)  # instance|mint -> last update
    allocations: dict[str, str] = field(default_factory=dict)  # instance -> last allocation
    ch_fills: dict[str, int] = field(default_factory=dict)  # fill_id -> rows after FINAL
    ch_fill_rows: dict[str, str] = field(default_factory=dict)  # fill_id -> row
    pnl: dict[str, Any] = field(default_factory=dict)  # per strategy and totals, from ClickHouse
    records: dict[str, int] = field(default_factory=dict)  # records per topic (with re-emissions)
    lags: dict[str, int] = field(default_factory=dict)
    as_of_processing: dict[str, str] = field(default_factory=dict)  # left out of the views; shown
    history: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def signed(self) -> set[str]:
        return {rid for rid, res in self.results.items() if any(r.startswith("signed|") for r in res)}


async def read_to_end(bootstrap: str, topic: str, timeout_s: float = 120.0) -> list[Any]:
    """Every record of ``topic``, from the beginning up to the end offsets taken at the start
    (the pipeline has settled); never cut short by a slow fetch."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        parts = None
        for _ in range(20):  # every topic exists (prepare created them); wait for its metadata
            parts = (await consumer._client.fetch_all_metadata()).partitions_for_topic(topic)
            if parts:
                break
            await asyncio.sleep(0.5)
        if not parts:
            raise RuntimeError(f"{topic}: no partitions in the broker's metadata")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        nxt = await consumer.beginning_offsets(tps)
        for tp in tps:
            consumer.seek(tp, nxt[tp])
        out: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while any(nxt[tp] < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: not read to its end offsets {ends} in {timeout_s}s")
            batch = await consumer.getmany(timeout_ms=500)
            for tp, recs in batch.items():
                out.extend(r for r in recs if r.offset < ends[tp])
            for tp in tps:  # past compacted gaps and control records too
                nxt[tp] = max(nxt[tp], await consumer.position(tp))
        return out
    finally:
        await consumer.stop()


async def read_topics(env: IsolatedEnv, out: Outcome) -> None:
    async def topic(short: str) -> list[Any]:
        recs = await read_to_end(env.bootstrap, env.topic(short))
        out.records[short] = len(recs)
        return recs

    for r in await topic("signals"):
        s = decode(r.value, Signal)
        if s.intent is Intent.EXIT and "qty_tokens" in s.meta:
            out.as_of_processing[f"exit qty {s.signal_id}"] = str(s.meta["qty_tokens"])
            s = msgspec.structs.replace(s, meta={k: v for k, v in s.meta.items() if k != "qty_tokens"})
        out.signals.setdefault(s.signal_id, set()).add(_view(s))
    for r in await topic("orders"):
        o = decode(r.value, Order)
        out.orders.setdefault(o.order_id, set()).add(_view(o))
        out.decisions.setdefault(o.signal_id, set()).add(o.order_id)
    for r in await topic("rejections"):
        j = decode(r.value, OrderRejection)
        rule = j.rule
        if j.intent is Intent.EXIT and rule in EXIT_REFUSALS_AS_OF_PROCESSING:
            out.as_of_processing[f"exit refusal {j.signal_id}"] = rule
            rule = "exit refused: no position to sell yet"
        out.decisions.setdefault(j.signal_id, set()).add(f"rejected:{rule}")
    for r in await topic("exec_requests"):
        q = decode(r.value, ExecutionRequest)
        out.requests.setdefault(q.request_id, set()).add(_view(q, WALL_CLOCK["exec_requests"]))
    for r in await topic("exec_results"):
        x = decode(r.value, ExecutionResult)
        out.results.setdefault(x.request_id, set()).add(f"{x.status.value}|{x.signature}|{x.reason}")
    for r in await topic("fills"):
        f = decode(r.value, Fill)
        out.fills.setdefault(f.fill_id, set()).add(_view(f))
    for r in await topic("positions"):  # the last update per position, in its partition's order
        p = decode(r.value, PositionUpdate)
        out.positions[f"{p.instance_id}|{p.mint}"] = _view(p, position_fields_as_of_processing(p))
    for r in await topic("allocations"):
        a = decode(r.value, StrategyAllocation)
        out.allocations[a.instance_id] = _view(a, WALL_CLOCK["allocations"])


def read_journal(env: IsolatedEnv, out: Outcome) -> None:
    path = env.data_dir / "signer" / "journal-paper.jsonl"
    for line in path.read_text().splitlines():
        if line.strip():
            j = json.loads(line)
            out.journal.setdefault(j["request_id"], []).append(j["status"])


def read_clickhouse(env: IsolatedEnv, out: Outcome) -> None:
    from memesnipe.sinks.client import Store
    from memesnipe.sinks.queries import Queries

    settings = env.settings()
    db = settings.clickhouse.database
    store = Store.open(settings.clickhouse_dsn, db)
    try:
        params = {"run": RUN_ID}
        for r in store.rows(
            f"SELECT fill_id, count() AS n FROM {db}.fills FINAL "
            "WHERE run_id = {run:String} GROUP BY fill_id",
            params,
        ):
            out.ch_fills[r["fill_id"]] = int(r["n"])
        for r in store.rows(f"SELECT * FROM {db}.fills FINAL WHERE run_id = {{run:String}}", params):
            row = {k: str(v) for k, v in r.items() if k not in ("ver", "inserted_at", "kafka_ts")}
            out.ch_fill_rows[r["fill_id"]] = json.dumps(row, sort_keys=True)
        perf = Queries(store, RUN_ID, settings.risk.capital_lamports).performance(RUN_ID)
        totals = dict(perf["totals"])
        # The drawdown (and the daily Sharpe) follow the equity curve, whose unrealized part
        # comes from the throttled mark updates on ``positions``: as of processing (see
        # position_fields_as_of_processing). Realized, costs, trades and every strategy's
        # figures come from the fills and the final positions and must be equal.
        for k in ("max_drawdown", "sharpe_daily"):
            out.as_of_processing[f"pnl {k}"] = str(totals.pop(k))
        out.pnl = {"totals": totals, "strategies": perf["strategies"]}
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# Running a scenario


@dataclass
class RunConfig:
    events: int
    seed: int
    rate: float  # events per second; 0 = as fast as the broker takes them
    mints: int = 8
    idle_s: float = 10.0
    settle_timeout_s: float = 420.0


def run_scenario(base: Path, key_path: Path, cfg: RunConfig, scenario: str, keep: bool = False) -> Outcome:
    """Boot a private broker and the pipeline, feed the seeded events while the scenario's faults
    happen, wait for the end, read everything back. Every process and the broker are stopped
    (and the broker's data removed unless ``keep``) whatever happens."""
    events = simulated_events(cfg.events, seed=cfg.seed, mints=cfg.mints)
    plan = plan_for(scenario, cfg.seed)
    pipe = Pipeline(base, key_path)
    out = Outcome(events=len(events))
    t0 = time.monotonic()
    try:
        log(f"{scenario}: booting broker {pipe.broker.bootstrap} and the pipeline")
        pipe.boot()
        log(f"{scenario}: {len(events)} events at {cfg.rate or 'max'}/s, faults: {[f.action for f in plan]}")

        async def drive() -> None:
            feed = Feed(pipe.env, events, cfg.rate)
            injector = Injector(pipe, feed)
            feeding = asyncio.create_task(feed.run())
            try:
                await injector.run(plan)
                await feeding
            finally:
                if not feeding.done():
                    feeding.cancel()
            log(f"{scenario}: all events published; waiting for the pipeline to settle")
            out.lags = await settle(pipe.env, idle_s=cfg.idle_s, timeout_s=cfg.settle_timeout_s)

        asyncio.run(drive())
        pipe.stop_all()  # the sink flushes on SIGTERM; chDB is then free to open
        asyncio.run(read_topics(pipe.env, out))
        read_journal(pipe.env, out)
        read_clickhouse(pipe.env, out)
    finally:
        pipe.shutdown(keep=keep)
        out.history = pipe.history
        out.seconds = time.monotonic() - t0
        if not keep:
            shutil.rmtree(pipe.env.data_dir / "clickhouse", ignore_errors=True)
    log(f"{scenario}: done in {out.seconds:.0f}s; uncommitted at the end {out.lags}")
    return out


# ---------------------------------------------------------------------------------------------
# The comparison


@dataclass
class Report:
    figures: dict[str, int]
    problems: dict[str, list[str]]  # within the run: kind -> examples (empty: exactly once)
    divergences: dict[str, list[str]] = field(default_factory=dict)  # against the clean run
    notes: list[str] = field(default_factory=list)  # as-of-processing differences (not compared)

    @property
    def exactly_once(self) -> bool:
        return not any(self.problems.values())

    @property
    def equal_to_clean(self) -> bool:
        return not any(self.divergences.values())

    @property
    def ok(self) -> bool:
        return self.exactly_once and self.equal_to_clean

    def lines(self) -> list[str]:
        """Problems within the run (``PROBLEM``), differences from the clean run (``DIFFERS``),
        as-of-processing differences (not compared), and the figures as the last line."""
        out = [f"PROBLEM {k}: {len(v)} e.g. {v[:5]}" for k, v in self.problems.items() if v]
        out += [f"DIFFERS from clean {k}: {len(v)} e.g. {v[:5]}" for k, v in self.divergences.items() if v]
        out += [f"as of processing (not compared): {n}" for n in self.notes]
        out.append(" ".join(f"{k}={v}" for k, v in self.figures.items()))
        return out


def _diff_keys(clean: dict[str, Any], got: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    lost = sorted(set(clean) - set(got))
    extra = sorted(set(got) - set(clean))
    differ = sorted(k for k in set(clean) & set(got) if clean[k] != got[k])
    return lost, extra, differ


def exactly_once(got: Outcome) -> tuple[dict[str, list[str]], int, int]:
    """Within one run: every signal one decision, every order one request, every request one
    answer, every signed request one fill, every fill one ClickHouse row; no id with two
    contents; nothing signed or journaled twice. Returns (problems, lost, duplicated)."""
    p: dict[str, list[str]] = collections.defaultdict(list)
    lost: dict[str, list[str]] = {
        "signal without a decision": sorted(set(got.signals) - set(got.decisions)),
        "order without an execution request": sorted(set(got.orders) - set(got.requests)),
        "request without an answer": sorted(set(got.requests) - set(got.results)),
        "signed request without a fill": sorted(got.signed - set(got.fills)),
        "fill missing in ClickHouse": sorted(set(got.fills) - set(got.ch_fills)),
    }
    dup: dict[str, list[str]] = {
        "signal with more than one decision": [
            f"{k}: {sorted(v)}" for k, v in got.decisions.items() if len(v) > 1
        ],
        "signal re-emitted with other content": [k for k, v in got.signals.items() if len(v) > 1],
        "order re-emitted with other content": [k for k, v in got.orders.items() if len(v) > 1],
        "request re-built with other content": [k for k, v in got.requests.items() if len(v) > 1],
        "request answered differently (signed twice)": [
            f"{k}: {sorted(v)}" for k, v in got.results.items() if len(v) > 1
        ],
        "request journaled more than once": [f"{k}: {v}" for k, v in got.journal.items() if len(v) > 1],
        "fill re-emitted with other content": [k for k, v in got.fills.items() if len(v) > 1],
        "ClickHouse fill rows after FINAL != 1": [f"{k}: {n}" for k, n in got.ch_fills.items() if n != 1],
        "ClickHouse fill without a fill on the topic": sorted(set(got.ch_fills) - set(got.fills)),
        "fill of no order": sorted(set(got.fills) - set(got.orders)),
    }
    for kind, ids in {**lost, **dup}.items():
        if ids:
            p[kind] = ids
    return dict(p), sum(map(len, lost.values())), sum(map(len, dup.values()))


def compare(clean: Outcome, got: Outcome) -> Report:
    """Exactly once within the faulted run, and equal to the clean run by idempotency key."""
    problems, lost, duplicated = exactly_once(got)
    d: dict[str, list[str]] = collections.defaultdict(list)
    vs_lost = vs_extra = vs_differing = 0
    for name, a, b in (
        ("signals", clean.signals, got.signals),
        ("decisions", clean.decisions, got.decisions),
        ("orders", clean.orders, got.orders),
        ("requests", clean.requests, got.requests),
        ("results", clean.results, got.results),
        ("fills", clean.fills, got.fills),
        ("positions", clean.positions, got.positions),
        ("allocations", clean.allocations, got.allocations),
        ("clickhouse fills", clean.ch_fill_rows, got.ch_fill_rows),
    ):
        lo, ex, di = _diff_keys(a, b)
        vs_lost += len(lo)
        vs_extra += len(ex)
        vs_differing += len(di)
        if lo:
            d[f"{name} missing"].extend(lo)
        if ex:
            d[f"{name} extra"].extend(ex)
        if di:
            d[f"{name} differ"].extend(f"{k}: clean {a[k]} got {b[k]}" for k in di)
    if clean.pnl != got.pnl:
        ct, gt = clean.pnl["totals"], got.pnl["totals"]
        diff = {k: (ct.get(k), v) for k, v in gt.items() if v != ct.get(k)}
        same = clean.pnl["strategies"] == got.pnl["strategies"]
        d["PnL differs"].append(f"totals clean/got {diff}; strategies equal: {same}")
        vs_differing += 1
    notes = [
        f"{k}: clean {clean.as_of_processing.get(k)} got {v}"
        for k, v in sorted(got.as_of_processing.items())
        if clean.as_of_processing.get(k) != v
    ]
    figures = {
        "events": got.events,
        "signals": len(got.signals),
        "orders": len(got.orders),
        "signed": len(got.signed),
        "fills": len(got.fills),
        "clickhouse_fills": len(got.ch_fills),
        "lost": lost,
        "duplicated": duplicated,
        "vs_clean_missing": vs_lost,
        "vs_clean_extra": vs_extra,
        "vs_clean_differing": vs_differing,
    }
    return Report(figures, problems, dict(d), notes)


def run_suite(
    base: Path,
    cfg: RunConfig,
    scenarios: list[str],
    *,
    clean_rate: float = 0.0,
    parallel: bool = False,
    keep: bool = False,
) -> tuple[Outcome, list[tuple[str, Any, Any]]]:
    """The clean run (at ``clean_rate``, default as fast as possible) and each faulted scenario,
    each on its own broker, one after the other or all at once; every faulted outcome compared
    with the clean one (a scenario that raised gives its exception in place of both). One paper
    key for all: identical signatures."""
    from concurrent.futures import ThreadPoolExecutor

    PrivateBroker(base / "fetch").fetch()  # before brokers start in parallel
    key = base / "paper-key.json"
    if not key.exists():  # created once, before the runs share it
        from memesnipe.signer.keystore import load_paper_keypair

        load_paper_keypair(key)
    clean_cfg = RunConfig(cfg.events, cfg.seed, clean_rate, cfg.mints, cfg.idle_s, cfg.settle_timeout_s)
    jobs = [("clean", clean_cfg)] + [(sc, cfg) for sc in scenarios]
    dirs = {sc: base / (sc if i == 0 or sc != "clean" else f"clean-{i}") for i, (sc, _) in enumerate(jobs)}
    for sc in scenarios:
        for f in plan_for(sc, cfg.seed):
            log(f"{sc} plan: {f}")

    def one(sc: str, c: RunConfig) -> Outcome | BaseException:
        try:
            return run_scenario(dirs[sc], key, c, sc, keep)
        except Exception as exc:  # one scenario's failure must not hide the others'
            log(f"{sc}: failed: {exc!r}")
            return exc

    if parallel:
        with ThreadPoolExecutor(len(jobs)) as pool:
            outs = list(pool.map(lambda job: one(*job), jobs))
    else:
        outs = [one(sc, c) for sc, c in jobs]
    clean = outs[0]
    if isinstance(clean, BaseException):
        raise clean
    return clean, [
        (sc, got, got if isinstance(got, BaseException) else compare(clean, got))
        for (sc, _), got in zip(jobs[1:], outs[1:], strict=True)
    ]
