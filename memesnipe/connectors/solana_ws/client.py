"""Solana JSON-RPC websocket client: ``logsSubscribe`` (mentions) and ``programSubscribe``,
kept alive across drops, with the gap filled from history.

- Heartbeat: websocket pings every ``ping_interval_s``; no pong within ``ping_timeout_s`` or no
  frame at all for ``idle_timeout_s`` counts as a dead connection.
- Reconnect with exponential backoff and jitter (reset once a connection has delivered its
  subscription confirmations), then resubscribe every subscription (ids are per connection).
- Gap backfill after a reconnect, per ``logsSubscribe`` of one address: ``getSignaturesForAddress``
  back to the newest signature seen before the drop (paging with ``before``), then
  ``getTransaction`` for each successful one not yet seen, oldest first. Backfill runs after
  resubscribing, so nothing falls between history and the live stream; items both paths
  deliver are deduplicated by signature (a bounded LRU). ``programSubscribe`` has no history
  to replay: account state is current state, the next notification carries it.

I/O only: ``stream()`` yields :class:`LogsItem` / :class:`AccountItem`; parsing is the caller's.
The connection factory and the RPC client are injectable (tests run a real local server).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets
from pydantic import ValidationError

from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.solana_ws.schemas import LogsResult, ProgramResult, SignatureInfo, Transaction

log = logging.getLogger(__name__)
PROVIDER = "solana_ws"


@dataclass(frozen=True)
class Subscription:
    """``logs(address)`` or ``program(address)``; ``address`` also keys the backfill."""

    method: str
    address: str
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def logs(cls, address: str, commitment: str = "confirmed") -> Subscription:
        return cls("logsSubscribe", address, {"commitment": commitment})

    @classmethod
    def program(cls, address: str, commitment: str = "confirmed", encoding: str = "base64") -> Subscription:
        return cls("programSubscribe", address, {"commitment": commitment, "encoding": encoding})

    def params(self) -> list[Any]:
        if self.method == "logsSubscribe":
            return [{"mentions": [self.address]}, self.config]
        return [self.address, self.config]


@dataclass(frozen=True)
class LogsItem:
    subscription: Subscription
    signature: str
    slot: int
    err: Any
    logs: list[str]
    source: str  # "ws" or "backfill"
    block_time: datetime | None = None


@dataclass(frozen=True)
class AccountItem:
    subscription: Subscription
    pubkey: str
    slot: int
    account: dict[str, Any]


@dataclass
class Backoff:
    base_s: float = 0.5
    max_s: float = 30.0
    jitter: float = 0.2
    attempt: int = 0

    def next(self) -> float:
        d = min(self.base_s * (2**self.attempt), self.max_s)
        self.attempt += 1
        return d * (1 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class WsStats:
    connects: int = 0
    reconnects: int = 0
    subscribed: int = 0
    notifications: int = 0
    backfilled: int = 0
    duplicates: int = 0
    bad_frames: int = 0
    gaps_truncated: int = 0


class _Dedupe:
    def __init__(self, size: int) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """True when ``key`` is new."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


class SolanaWsClient:
    def __init__(
        self,
        url: str,
        subscriptions: list[Subscription],
        *,
        rpc: SolanaRpcClient | None = None,
        backoff: Backoff | None = None,
        ping_interval_s: float = 20.0,
        ping_timeout_s: float = 20.0,
        idle_timeout_s: float = 120.0,
        dedupe_size: int = 50_000,
        backfill_max: int = 1000,
        connect: Callable[..., Any] = websockets.connect,
    ) -> None:
        if not subscriptions:
            raise ValueError("at least one subscription")
        self.url = url
        self.subscriptions = list(subscriptions)
        self.rpc = rpc
        self.backoff = backoff or Backoff()
        self.ping_interval_s, self.ping_timeout_s = ping_interval_s, ping_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.backfill_max = backfill_max
        self._connect = connect
        self._dedupe = _Dedupe(dedupe_size)
        self._ids = itertools.count(1)
        self._last_sig: dict[str, str] = {}  # logs address -> newest signature seen
        self._stop = asyncio.Event()
        self._early: list[str] = []
        self.stats = WsStats()

    def stop(self) -> None:
        self._stop.set()

    async def stream(self) -> AsyncGenerator[LogsItem | AccountItem, None]:
        """Yield items until :meth:`stop`; survives drops (reconnect, resubscribe, backfill)."""
        first = True
        while not self._stop.is_set():
            try:
                async with self._connect(
                    self.url,
                    ping_interval=self.ping_interval_s,
                    ping_timeout=self.ping_timeout_s,
                    max_size=8 * 1024 * 1024,
                ) as ws:
                    self.stats.connects += 1
                    if not first:
                        self.stats.reconnects += 1
                    by_sub = await self._subscribe(ws)
                    self.backoff.reset()
                    if not first:
                        async for filled in self._backfill():
                            yield filled
                    first = False
                    async for item in self._read(ws, by_sub):
                        yield item
            except (websockets.exceptions.WebSocketException, OSError, TimeoutError) as exc:
                log.warning("%s: connection lost (%s: %s)", PROVIDER, type(exc).__name__, exc)
            except (ProviderError, ValidationError) as exc:  # backfill failed: reconnect, retry it
                log.warning("%s: backfill failed: %s", PROVIDER, exc)
            if first and self.stats.connects:
                first = False  # the first connection did deliver: later ones backfill
            if self._stop.is_set():
                return
            delay = self.backoff.next()
            log.info("%s: reconnecting in %.2fs", PROVIDER, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def _subscribe(self, ws: Any) -> dict[int, Subscription]:
        """Send every subscription, wait for each confirmation; subscription id -> Subscription."""
        pending: dict[int, Subscription] = {}
        for sub in self.subscriptions:
            rid = next(self._ids)
            pending[rid] = sub
            await ws.send(
                json.dumps({"jsonrpc": "2.0", "id": rid, "method": sub.method, "params": sub.params()})
            )
        by_sub: dict[int, Subscription] = {}
        early: list[str] = []
        while pending:
            raw = await asyncio.wait_for(ws.recv(), timeout=self.idle_timeout_s)
            msg = _json(raw)
            got = msg.get("id") if isinstance(msg, dict) else None
            if not isinstance(got, int) or got not in pending:
                early.append(raw)  # a notification racing a later confirmation
                continue
            sub = pending.pop(got)
            if "error" in msg:
                raise websockets.exceptions.InvalidState(f"{sub.method} refused: {msg['error']}")
            by_sub[int(msg["result"])] = sub
            self.stats.subscribed += 1
        self._early = early
        return by_sub

    async def _read(self, ws: Any, by_sub: dict[int, Subscription]) -> AsyncIterator[LogsItem | AccountItem]:
        for raw in self._early:
            for item in self._frame(raw, by_sub):
                yield item
        self._early = []
        while not self._stop.is_set():
            raw = await asyncio.wait_for(ws.recv(), timeout=self.idle_timeout_s)
            for item in self._frame(raw, by_sub):
                yield item

    def _frame(self, raw: str | bytes, by_sub: dict[int, Subscription]) -> list[LogsItem | AccountItem]:
        msg = _json(raw)
        params = msg.get("params") if isinstance(msg, dict) else None
        if not isinstance(params, dict):
            return []
        sub = by_sub.get(params.get("subscription"))  # type: ignore[arg-type]
        method = msg.get("method")
        try:
            if method == "logsNotification" and sub is not None:
                r = LogsResult.model_validate(params.get("result"))
                self.stats.notifications += 1
                self._last_sig[sub.address] = r.value.signature
                if not self._dedupe.add(r.value.signature):
                    self.stats.duplicates += 1
                    return []
                return [
                    LogsItem(sub, r.value.signature, r.context.slot, r.value.err, r.value.logs or [], "ws")
                ]
            if method == "programNotification" and sub is not None:
                p = ProgramResult.model_validate(params.get("result"))
                self.stats.notifications += 1
                return [AccountItem(sub, p.value.pubkey, p.context.slot, p.value.account.model_dump())]
        except ValidationError as exc:
            self.stats.bad_frames += 1
            log.warning("%s: %s frame does not match the documented shape: %s", PROVIDER, method, exc)
        return []

    async def _backfill(self) -> AsyncIterator[LogsItem]:
        if self.rpc is None:
            return
        for sub in self.subscriptions:
            until = self._last_sig.get(sub.address)
            if sub.method != "logsSubscribe" or until is None:
                continue
            infos: list[SignatureInfo] = []
            before: str | None = None
            while len(infos) < self.backfill_max:
                page_raw = await self.rpc.get_signatures_for_address(
                    sub.address, until=until, before=before, limit=min(1000, self.backfill_max - len(infos))
                )
                page = [SignatureInfo.model_validate(x) for x in page_raw or []]
                page = [p for p in page if p.signature != until]
                if not page:
                    break
                infos.extend(page)
                before = page[-1].signature
            else:
                self.stats.gaps_truncated += 1
                log.warning("%s: gap on %s exceeds %d signatures; older ones skipped",
                            PROVIDER, sub.address, self.backfill_max)  # fmt: skip
            for info in reversed(infos):  # oldest first
                if info.err is not None or not self._dedupe.add(info.signature):
                    continue
                raw = await self.rpc.get_transaction(info.signature)
                if raw is None:
                    continue
                tx = Transaction.model_validate(raw)
                meta = tx.meta
                bt = tx.blockTime if tx.blockTime is not None else info.blockTime
                self.stats.backfilled += 1
                yield LogsItem(
                    sub,
                    info.signature,
                    tx.slot,
                    meta.err if meta else None,
                    (meta.logMessages or []) if meta else [],
                    "backfill",
                    datetime.fromtimestamp(bt, UTC) if bt is not None else None,
                )
            if infos:
                self._last_sig[sub.address] = infos[0].signature


def _json(raw: str | bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
