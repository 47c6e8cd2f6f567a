"""The signer process: Kafka in (exec_requests, killswitch), Kafka out (exec_results, deadletter).

No other network, except in live mode with ``MEMESNIPE_SIGNER__RPC_URL`` set: the read-only
``simulateTransaction`` cross-check (simulation.py) on that one node; never a block engine, never
a send. Per batch:
decide every request -> journal write + fsync -> publish results and wait for the acks ->
commit the offsets. A crash anywhere replays the batch; journaled ids are answered from the
journal (same bytes), so nothing is signed twice and every consumer sees identical results.

The kill switch is read from the beginning of its topic before the first request is consumed,
then polled (non-blocking) before every batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, TopicAlreadyExistsError
from solders.pubkey import Pubkey

from memesnipe.kafka_internals.metadata import partitions_for_topic
from memesnipe.settings import Mode, Settings
from memesnipe.signer import keystore
from memesnipe.signer.intake import safe_key
from memesnipe.signer.journal import Journal
from memesnipe.signer.metrics import CONTENT_TYPE, SignerMetrics
from memesnipe.signer.policy import PolicyConfig
from memesnipe.signer.programs import wsol_ata
from memesnipe.signer.signing import Outcome, SigningService
from memesnipe.signer.simulation import SimulationRpc
from memesnipe.signer.status import StatusServer
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.deadletter import DeadLetter
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.topics import topic_configs, topic_names

log = logging.getLogger("memesnipe.signer")

READY = "signer ready"
"""Logged once the kill switch is known and the request consumer runs (tests wait for it)."""

STALL_S = 30.0
"""/readyz fails when the request loop has not come round for this long (stuck fsync, broker)."""


def group_id(settings: Settings) -> str:
    return settings.signer.group_id or f"{settings.kafka.app_id}-signer"


def journal_path(settings: Settings) -> Path:
    name = "journal-paper.jsonl" if settings.mode is Mode.PAPER else "journal-live.jsonl"
    return keystore.signer_dir(settings.data_dir) / name


DEFAULT_HMAC_SECRET = "paper-hmac-secret-change-me"


def load_key(settings: Settings) -> keystore.SealedKey:
    """The live key from MEMESNIPE_SIGNER__KEY_PATH, or the throwaway paper key."""
    if settings.mode is Mode.LIVE:
        if settings.hmac_secret == DEFAULT_HMAC_SECRET or len(set(settings.hmac_secret)) < 8:
            raise keystore.KeyStoreError(
                "signer: live mode needs a real MEMESNIPE_HMAC_SECRET (not the paper default; "
                "e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if settings.signer.key_path is None:
            raise keystore.KeyStoreError(
                "signer: live mode needs MEMESNIPE_SIGNER__KEY_PATH (the wallet keypair)"
            )
        kp = keystore.load_keypair(settings.signer.key_path)
    else:
        kp = keystore.load_paper_keypair(
            keystore.paper_key_path(settings.data_dir, settings.signer.paper_key_path)
        )
    key = keystore.SealedKey(kp)
    del kp
    expected = settings.signer.wallet_pubkey
    if expected and Pubkey.from_string(expected) != key.pubkey:
        raise keystore.KeyStoreError(
            f"signer: the key's public key {key.pubkey} differs from "
            f"MEMESNIPE_SIGNER__WALLET_PUBKEY {expected}"
        )
    return key


def build_service(settings: Settings, key: keystore.SealedKey, journal: Journal) -> SigningService:
    s = settings.signer
    cfg = PolicyConfig.build(
        key.pubkey,
        tip_accounts=s.tip_account_list,
        programs=s.program_list,
        per_tx_cap_lamports=s.per_tx_cap_lamports,
        daily_cap_lamports=s.daily_cap_lamports,
        drift_sub_accounts=(settings.drift.sub_account_id,),
        tip_cap_lamports=s.tip_cap_lamports,
        tip_daily_cap_lamports=s.tip_daily_cap_lamports,
        priority_fee_cap_lamports=s.priority_fee_cap_lamports,
        priority_fee_daily_cap_lamports=s.priority_fee_daily_cap_lamports,
        exit_fee_daily_cap_lamports=s.exit_fee_daily_cap_lamports,
        max_entry_slippage_bps=s.max_entry_slippage_bps,
        max_exit_slippage_bps=s.max_exit_slippage_bps,
        perp_max_notional_usd=s.perp_max_notional_usd,
        perp_price_band_bps=s.perp_price_band_bps,
    )
    service = SigningService(
        key,
        cfg,
        settings.hmac_secret,
        journal,
        paper=settings.mode is Mode.PAPER,
        max_age_s=s.max_request_age_s,
    )
    if s.rpc_url and settings.mode is Mode.LIVE:
        sim = SimulationRpc(s.rpc_url, commitment=s.rpc_commitment, timeout_s=s.rpc_timeout_s)
        wallet, wsol = cfg.wallet_bytes, bytes(wsol_ata(cfg.wallet))
        tolerance = s.simulation_tolerance_lamports
        service.cross_check = lambda tx_b64, effect: sim.cross_check(tx_b64, effect, wallet, wsol, tolerance)
    return service


@dataclass(slots=True)
class Topics:
    requests: str
    results: str
    killswitch: str
    deadletter: str


class SignerWorker:
    def __init__(self, settings: Settings, service: SigningService) -> None:
        self.settings = settings
        self.service = service
        names = topic_names(settings)
        self.topics = Topics(
            names("exec_requests"), names("exec_results"), names("killswitch"), names("deadletter")
        )
        self.bootstrap = settings.kafka.bootstrap_servers
        self.group_id = group_id(settings)
        self._producer: AIOKafkaProducer | None = None
        self._requests: AIOKafkaConsumer | None = None
        self._kill: AIOKafkaConsumer | None = None
        self.batches = 0
        self.first_batch_at: float | None = None  # perf_counter() when the first batch arrived
        service.max_request_bytes = settings.signer.max_request_bytes
        self.metrics = SignerMetrics()
        self.kill_loaded = False
        self.loop_at: float | None = None  # monotonic() of the request loop's last turn
        self._register_gauges()

    def _register_gauges(self) -> None:
        svc, m = self.service, self.metrics
        m.gauge("memesnipe_signer_journal_entries", "Decisions in the journal", lambda: len(svc.journal))
        m.gauge(
            "memesnipe_signer_journal_bytes",
            "Size of the journal file (fsync'd lines)",
            lambda: svc.journal.path.stat().st_size,
        )
        m.gauge(
            "memesnipe_signer_spent_today_lamports",
            "Entry spend booked for the current UTC day (the daily cap's ledger)",
            lambda: svc.journal.spent(svc.clock().date().isoformat()),
        )
        m.gauge(
            "memesnipe_signer_kill_switch_active",
            "1 while the signer refuses entries",
            lambda: svc.kill.active,
        )
        m.gauge("memesnipe_signer_ready", "1 while /readyz answers 200", lambda: self.ready()[0])

    def ready(self) -> tuple[bool, str]:
        """Ready to sign: the kill switch state is loaded and the request loop is running."""
        if not self.kill_loaded:
            return False, "kill switch state not loaded yet"
        if self._requests is None or self.loop_at is None:
            return False, "request consumer not running"
        idle = time.monotonic() - self.loop_at
        if idle > STALL_S:
            return False, f"request loop stalled for {idle:.0f} s"
        return True, ""

    # -- start-up ---------------------------------------------------------------------------
    async def ensure_topics(self) -> None:
        """Create our four topics if missing, declared as the Faust app declares them."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            k = self.settings.kafka
            new = [
                NewTopic(
                    self.settings.kafka.topic_prefix + short,
                    num_partitions=k.partitions,
                    replication_factor=k.replication,
                    topic_configs=topic_configs(short),
                )
                for short in ("exec_requests", "exec_results", "killswitch", "deadletter")
                if self.settings.kafka.topic_prefix + short not in existing
            ]
            if new:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(new)
        finally:
            await admin.close()

    async def start(self) -> None:
        await self.ensure_topics()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=1,
            client_id=f"{self.group_id}-producer",
        )
        await self._producer.start()
        await self._load_killswitch()
        self._requests = AIOKafkaConsumer(
            self.topics.requests,
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=f"{self.group_id}-requests",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",  # never act on a request from an aborted transaction
            max_poll_records=self.settings.signer.batch_size,
        )
        await self._requests.start()
        log.info(
            READY,
            extra={
                "wallet": str(self.service.cfg.wallet),
                "mode": self.settings.mode.value,
                "group_id": self.group_id,
                "journaled": len(self.service.journal),
                "kill_switch": self.service.kill.active,
            },
        )

    async def _load_killswitch(self) -> None:
        """Read the whole killswitch topic so the current state is known before any signing."""
        self._kill = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id=f"{self.group_id}-killswitch",
        )
        await self._kill.start()
        parts = await partitions_for_topic(self._kill, self.topics.killswitch, timeout_s=5.0, poll_s=0.1)
        if not parts:
            raise RuntimeError(f"signer: killswitch topic {self.topics.killswitch} has no partitions")
        tps = [TopicPartition(self.topics.killswitch, p) for p in sorted(parts)]
        self._kill.assign(tps)
        await self._kill.seek_to_beginning(*tps)
        ends = await self._kill.end_offsets(tps)
        while True:
            behind = [tp for tp in tps if await self._kill.position(tp) < ends[tp]]
            if not behind:
                break
            batch = await self._kill.getmany(*behind, timeout_ms=500)
            self._apply_kill(batch)
        self.kill_loaded = True
        log.info("kill switch state loaded", extra={"active": self.service.kill.active})

    def _apply_kill(self, batch: dict[TopicPartition, list]) -> None:  # type: ignore[type-arg]
        kill = self.service.kill
        for records in batch.values():
            for rec in records:
                was = kill.active
                kill.apply(rec.value, key=rec.key, partition=rec.partition, offset=rec.offset)
                if kill.active != was:
                    log.warning("kill switch changed", extra={"active": kill.active, "reason": kill.reason})

    async def _poll_kill(self) -> None:
        assert self._kill is not None
        batch = await self._kill.getmany(timeout_ms=0)
        if batch:
            self._apply_kill(batch)

    # -- the loop ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        assert self._requests is not None
        try:
            while not stop.is_set():
                self.loop_at = time.monotonic()
                await self._poll_kill()
                batch = await self._requests.getmany(
                    timeout_ms=200, max_records=self.settings.signer.batch_size
                )
                if batch:
                    await self._poll_kill()
                    await self.process(batch)
        finally:
            self.loop_at = None

    async def process(self, batch: dict[TopicPartition, list]) -> None:  # type: ignore[type-arg]
        """Decide, journal (fsync), publish (acked), then commit. Any failure raises: nothing
        is committed, the batch is redelivered and answered from the journal."""
        assert self._producer is not None and self._requests is not None
        t0 = time.perf_counter()
        if self.first_batch_at is None:
            self.first_batch_at = t0
        svc, m = self.service, self.metrics
        outcomes = []
        offsets: dict[TopicPartition, int] = {}
        clock = time.perf_counter
        for tp, records in batch.items():
            for rec in records:
                s0 = clock()
                o = self._handle(rec.value or b"", rec.key, tp, rec.offset)
                m.observe(o.status, o.reason, o.replayed, o.deadletter is not None, clock() - s0)
                outcomes.append(o)
            if records:
                offsets[tp] = records[-1].offset + 1
        t1 = time.perf_counter()
        if svc.journal.pending:
            await asyncio.to_thread(svc.journal.flush)
        t2 = time.perf_counter()
        futures = []
        for o in outcomes:
            futures.append(await self._producer.send(self.topics.results, value=o.value, key=o.key))
            if o.deadletter is not None:
                futures.append(
                    await self._producer.send(self.topics.deadletter, value=o.deadletter, key=o.key)
                )
        await asyncio.gather(*futures)
        t3 = time.perf_counter()
        try:
            await self._requests.commit(offsets)
        except CommitFailedError as exc:  # rebalanced: the new owner replays from the journal
            log.warning("offset commit failed; batch will be replayed", extra={"error": str(exc)})
        self.batches += 1
        m.batch_seconds.observe(time.perf_counter() - t0)
        log.info(
            "batch",
            extra={
                "requests": len(outcomes),
                "signed": sum(1 for o in outcomes if o.status == "signed" and not o.replayed),
                "refused": sum(1 for o in outcomes if o.status == "refused" and not o.replayed),
                "replayed": sum(1 for o in outcomes if o.replayed),
                "ms": round((time.perf_counter() - t0) * 1000, 2),
                "decide_ms": round((t1 - t0) * 1000, 2),
                "fsync_ms": round((t2 - t1) * 1000, 2),
                "publish_ms": round((t3 - t2) * 1000, 2),
            },
        )

    def _handle(self, raw: bytes, key: bytes | None, tp: TopicPartition, offset: int) -> Outcome:
        """One request; whatever fails on it refuses it (fail closed) and dead-letters it, so its
        offset is committed and the signer moves on instead of dying on it after every restart.
        Only the journal write and the publish (durability, not poison) may fail a batch."""
        try:
            return self.service.handle(raw, key=key, topic=tp.topic, partition=tp.partition, offset=offset)
        except Exception as exc:
            reason = f"internal error: {type(exc).__name__}"
            log.exception(
                "internal error; request refused", extra={"offset": offset, "partition": tp.partition}
            )
        try:
            return self.service.internal_error(raw, key, reason, tp, offset)
        except Exception as exc:  # the fallback failed too: a minimal refusal, built from nothing
            return last_resort(key, f"{reason} (fallback failed: {type(exc).__name__})", tp, offset)

    async def stop(self) -> None:
        for client in (self._requests, self._kill):
            if client is not None:
                await client.stop()
        if self._producer is not None:
            await self._producer.stop()


def last_resort(key: bytes | None, reason: str, tp: TopicPartition, offset: int) -> Outcome:
    """A refusal and a dead letter addressed by nothing but the record's position (no ids, no
    payload): what is published when even the service's own fallback failed on a record."""
    now = utcnow()
    short_key = safe_key(key)
    result = ExecutionResult(
        request_id="", order_id="", mint="", status=ExecutionStatus.REFUSED, ts=now, reason=reason
    )
    dead = DeadLetter(
        topic=tp.topic,
        partition=tp.partition,
        offset=offset,
        key=short_key.decode("utf-8", "replace") if key is not None else None,
        reason=reason,
        payload="",
        ts=now,
        consumer="signer",
    )
    return Outcome("", ExecutionStatus.REFUSED, reason, short_key, encode(result), deadletter=encode(dead))


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Load the key, open the journal, serve the status endpoint, run until ``stop`` is set."""
    key = load_key(settings)
    keystore.write_public_key(settings.data_dir, key.pubkey)
    journal = Journal(journal_path(settings))
    gc.freeze()  # the recovered journal index is long-lived: keep it out of every GC pass
    worker = SignerWorker(settings, build_service(settings, key, journal))
    s = settings.signer
    status = StatusServer(s.metrics_host, s.metrics_port, worker.metrics.render, worker.ready, CONTENT_TYPE)
    try:
        if s.metrics_port:
            await status.start()
        await worker.start()
        await worker.run(stop)
    finally:
        await status.stop()
        await worker.stop()
        journal.close()
        log.info("signer stopped", extra=asdict(worker.service.stats))
