"""``memesnipe connect discovery``: new mints in, the compacted ``watchlist`` topic out.

Sources, each feeding the pure keeper (core/watchlist.py):
- the Solana websocket (``logsSubscribe`` of ``discovery.programs``, pump.fun by default), gaps
  backfilled over ``execution.rpc_url``: pump.fun create/create_v2, complete, migrate;
  new Raydium (AMM v4, CPMM), Meteora (DLMM, DAMM v2) and PumpSwap pools when those programs are listed
  (their logs say a pool was created; the creating transaction, fetched with getTransaction,
  says which: connectors/pools/); their NEW_MINT / NEW_POOL facts also go onto ``onchain``, a
  pump.fun NEW_MINT with what its creator holds right after the creation (getTokenAccountsByOwner
  with the mint filter: the create event does not say, and the creator's initial buy rides in
  the same transaction), so dev_wallet_drain weighs the creator's sales against real holdings;
- DexScreener latest token profiles and boosts (``discovery.dexscreener``);
- the ``onchain`` topic: NEW_MINT / NEW_POOL from Helius (or anyone) become candidates, SWAP
  is activity, SAFETY facts are judged (a pool's liquidity from its reserves counts as its
  liquidity), LP_REMOVE / DEV_SELL are rug signs;
- the ``price`` topic: liquidity and 5-minute volume.
Every ``discovery.evaluate_interval_s`` the rules run and changed entries are published keyed
by mint. On start the keeper is restored from the watchlist topic itself (its ACTIVE entries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec

from memesnipe.connectors.dexscreener.client import DexScreenerClient
from memesnipe.connectors.dexscreener.parse import parse_discoveries
from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.pools.new_pool import new_pools
from memesnipe.connectors.pools.programs import DECODERS, creations_in_logs
from memesnipe.connectors.pools.transaction import TransactionShapeError
from memesnipe.connectors.pump_fun.parse import parse_logs
from memesnipe.connectors.runner import Connector, Fetched, csv_list
from memesnipe.connectors.sol_usd import SolUsdFollower
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.solana_ws.client import LogsItem, SolanaWsClient, Subscription
from memesnipe.connectors.watchlist import WatchlistFollower
from memesnipe.core.watchlist import Candidate, Watchlist, WatchlistRules
from memesnipe.streams.codec import DecodeError, decode_market
from memesnipe.streams.market import MarketEvent, OnChainEvent, OnChainKind, PriceEvent
from memesnipe.streams.topics import topic_names
from memesnipe.streams.watchlist import DiscoveryOrigin

log = logging.getLogger(__name__)
_RUG_KINDS = {OnChainKind.LP_REMOVE: "lp_remove", OnChainKind.DEV_SELL: "dev_sell"}
_NEW_KINDS = {OnChainKind.NEW_MINT: DiscoveryOrigin.NEW_MINT, OnChainKind.NEW_POOL: DiscoveryOrigin.NEW_POOL}
BALANCE_WAIT_S = 2.0
"""Longest a creation waits for its creator's balance before it is published without one."""
OWN_SOURCES = ("pump_fun:", "pumpswap:", "raydium_", "meteora_")
"""Sources of the facts discovery itself publishes (already candidates when it published them)."""


def rules_from(settings: Any) -> WatchlistRules:
    d = settings.discovery
    return WatchlistRules(
        max_age_s=d.max_age_s,
        min_liquidity_usd=d.min_liquidity_usd,
        require_liquidity=d.require_liquidity,
        min_activity=d.min_activity,
        max_top10_pct=d.max_top10_pct,
        idle_evict_s=d.idle_evict_s,
        evict_liquidity_usd=d.evict_liquidity_usd,
        max_entries=d.max_entries,
        readmit_after_s=d.readmit_after_s,
    )


def observe_market(wl: Watchlist, ev: MarketEvent) -> None:
    """A market-topic event -> the keeper (routes NEW_MINT / NEW_POOL to discovery)."""
    if isinstance(ev, PriceEvent):
        wl.price(ev.mint, ev.ts, ev.liquidity_usd, ev.volume_usd_5m)
    elif isinstance(ev, OnChainEvent):
        if ev.kind in _NEW_KINDS:
            if ev.source.startswith(OWN_SOURCES):
                return  # our own facts, already candidates when we published them
            wl.candidate(Candidate(ev.mint, ev.ts, _NEW_KINDS[ev.kind], ev.source, signature=ev.signature))
        elif ev.kind is OnChainKind.SWAP:
            wl.activity(ev.mint, ev.ts)
        elif ev.kind is OnChainKind.SAFETY:
            if ev.pool_liquidity_usd is not None:
                wl.price(ev.mint, ev.ts, ev.pool_liquidity_usd, 0.0)
            judged = (ev.mint_authority_live, ev.freeze_authority_live, ev.top10_holder_pct)
            if any(f is not None for f in judged):  # a message of other facts clears no verdict
                wl.safety(
                    ev.mint,
                    mint_authority_live=ev.mint_authority_live,
                    freeze_authority_live=ev.freeze_authority_live,
                    top10_holder_pct=ev.top10_holder_pct,
                )
        elif ev.kind in _RUG_KINDS:
            wl.rug(ev.mint, _RUG_KINDS[ev.kind])


class DiscoveryConnector(Connector):
    """Runs with :meth:`serve` (several sources at once), not the poll loop."""

    name = "discovery"
    topic = "onchain"  # where its published facts (and dead letters) go; entries go to watchlist

    def __init__(
        self,
        settings: Any,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        rpc_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        d = settings.discovery
        self.interval_s = d.evaluate_interval_s
        self.watchlist = Watchlist(rules_from(settings))
        self.names = topic_names(settings)
        self.rpc = SolanaRpcClient(
            settings.execution.rpc_url, commitment=d.commitment, transport=rpc_transport
        )
        subs = [Subscription.logs(p, d.commitment) for p in csv_list(d.programs)]
        self.ws = SolanaWsClient(d.ws_url, subs, rpc=self.rpc) if subs else None
        self.dex = (
            DexScreenerClient(settings.connectors.dexscreener_base_url, transport=transport)
            if d.dexscreener
            else None
        )
        self.sol_follower = SolUsdFollower(settings)  # a new pool's opening liquidity in USD
        self.published = 0

    async def fetch(self) -> list[Fetched]:
        return []

    def parse(self, item: Fetched) -> list[MarketEvent]:
        return []

    def on_logs(self, item: LogsItem) -> list[OnChainEvent]:
        found = parse_logs(item.signature, item.logs, err=item.err, block_time=item.block_time,
                           received_at=datetime.now(UTC))  # fmt: skip
        for bad in found.bad:
            log.warning("discovery: undecodable pump.fun event: %s", bad)
        for c in found.candidates:
            self.watchlist.candidate(c)
        return [self._opening_liquidity(ev) for ev in found.events]

    def _opening_liquidity(self, ev: OnChainEvent) -> OnChainEvent:
        """A migration's NEW_POOL: the PumpSwap pool opens with its SOL and equal value of tokens."""
        px = self.sol_follower.sol.at(ev.ts)
        if ev.kind is not OnChainKind.NEW_POOL or ev.amount_lamports <= 0 or px is None:
            return ev
        liq = round(2 * ev.amount_lamports / 1e9 * px, 2)
        self.watchlist.price(ev.mint, ev.ts, liq, 0.0)
        return msgspec.structs.replace(ev, pool_liquidity_usd=liq)

    async def creator_balance(self, ev: OnChainEvent) -> OnChainEvent:
        """A NEW_MINT naming its creator gets the creator's current holding of the mint (None,
        as before, when the RPC cannot say: the strategy then counts from nothing)."""
        if ev.kind is not OnChainKind.NEW_MINT or not ev.wallet or ev.wallet_balance_tokens is not None:
            return ev
        try:
            held = await asyncio.wait_for(self.rpc.get_token_balance(ev.wallet, ev.mint), BALANCE_WAIT_S)
        except (ProviderError, TimeoutError) as exc:  # the stream must not stall on a slow RPC
            log.warning("discovery: creator balance of %s in %s: %r", ev.wallet, ev.mint, exc)
            return ev
        return msgspec.structs.replace(ev, wallet_balance_tokens=held)

    async def on_pool_logs(self, item: LogsItem) -> list[OnChainEvent]:
        """A transaction whose logs show a Raydium/Meteora pool creation: fetch it, read the pools."""
        if item.err is not None or not creations_in_logs(item.logs):
            return []
        try:
            tx = await self.rpc.get_transaction(item.signature)
        except ProviderError as exc:
            log.warning("discovery: getTransaction %s: %s", item.signature, exc)
            return []
        if not isinstance(tx, dict):
            log.warning("discovery: getTransaction %s: not found (yet)", item.signature)
            return []
        try:
            pools = new_pools(tx, DECODERS)
        except TransactionShapeError as exc:
            log.warning("discovery: transaction %s: %s", item.signature, exc)
            return []
        fallback = item.block_time or datetime.now(UTC)
        sol = await self.sol_follower.current()
        out = []
        for p in pools:
            c = p.candidate(fallback)
            ev = p.event(fallback, sol.at(p.ts or fallback))
            if c is not None:
                self.watchlist.candidate(c)
            if ev is not None:
                if ev.pool_liquidity_usd is not None:  # admission by liquidity need not wait
                    self.watchlist.price(ev.mint, ev.ts, ev.pool_liquidity_usd, 0.0)
                out.append(ev)
        return out

    async def _ws_loop(self, sink: Any) -> None:
        assert self.ws is not None
        async for item in self.ws.stream():
            if isinstance(item, LogsItem):
                await self.sol_follower.current()  # refreshed at most every 2 s
                for ev in [*self.on_logs(item), *await self.on_pool_logs(item)]:
                    await sink.publish_event(await self.creator_balance(ev))

    async def _dex_loop(self, stop: asyncio.Event) -> None:
        assert self.dex is not None
        while not stop.is_set():
            for boosts in (False, True):
                try:
                    raw = await (
                        self.dex.latest_token_boosts() if boosts else self.dex.latest_token_profiles()
                    )
                    for c in parse_discoveries(raw, datetime.now(UTC), boosts=boosts):
                        self.watchlist.candidate(c)
                except ProviderError as exc:
                    log.warning("discovery: dexscreener %s: %s", "boosts" if boosts else "profiles", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.discovery.dexscreener_interval_s)

    async def _market_loop(self) -> None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            self.names("onchain"),
            self.names("price"),
            bootstrap_servers=self.settings.kafka.bootstrap_servers,
            group_id=None,
            auto_offset_reset="latest",
            metadata_max_age_ms=5000,
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batches.values():
                    for r in records:
                        if r.value is None:
                            continue
                        try:
                            observe_market(self.watchlist, decode_market(r.value))
                        except DecodeError:
                            continue  # the worker's boundary dead-letters it; nothing to learn
        finally:
            await consumer.stop()

    async def restore(self) -> int:
        """Re-load the ACTIVE entries from the watchlist topic (so they can still be evicted)."""
        follower = WatchlistFollower(self.settings)
        try:
            await follower.refresh()
        finally:
            await follower.aclose()
        for e in follower.active.values():
            self.watchlist.restore(e)
        return len(follower.active)

    async def evaluate(self, sink: Any, now: datetime | None = None) -> int:
        changed = self.watchlist.evaluate(now or datetime.now(UTC))
        for entry in changed:
            await sink.publish("watchlist", entry.mint, entry)
            log.info("watchlist %s %s (%s)", entry.status, entry.mint, entry.reason)
        if changed:
            await sink.flush()
        self.published += len(changed)
        return len(changed)

    async def serve(self, sink: Any, stop: asyncio.Event) -> None:
        restored = await self.restore()
        log.info("discovery: %d active entries restored from the watchlist topic", restored)
        tasks = [asyncio.create_task(self._market_loop())]
        if self.ws is not None:
            tasks.append(asyncio.create_task(self._ws_loop(sink)))
        if self.dex is not None:
            tasks.append(asyncio.create_task(self._dex_loop(stop)))
        try:
            while not stop.is_set():
                await self.evaluate(sink)
                for t in tasks:
                    if t.done() and t.exception() is not None:
                        raise t.exception()  # type: ignore[misc]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
        finally:
            if self.ws is not None:
                self.ws.stop()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        await self.sol_follower.aclose()
        await self.rpc.aclose()
        if self.dex is not None:
            await self.dex.aclose()
