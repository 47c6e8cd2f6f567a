"""``memesnipe connect helius``: poll the enhanced transactions of the configured addresses
(by default the pump.fun program and Raydium AMM v4) and of every watched mint, only those newer
than the last seen.

The watched mints are MEMESNIPE_CONNECTORS__MINTS plus, with
MEMESNIPE_CONNECTORS__FOLLOW_WATCHLIST, the watchlist's ACTIVE ones, picked up each cycle without a
restart (an evicted mint is no longer polled). A mint's own history holds what the program
addresses miss: plain SPL token transfers, airdrops above all. Sending a token to a wallet that
never held it creates that wallet's associated token account, an instruction that names the mint,
so an airdrop to new holders is in the mint's history (as is every ``TransferChecked``). A
transaction seen under two polled addresses (a swap of a watched mint through pump.fun) is
published once: the signatures of the last ``SEEN_MAX`` transactions are remembered.

A sale by a creator (configured, or learnt from a polled creation: a newly watched mint's first
transaction is read for its creator) carries the creator's balance read after it (``creators.py``).

Polling yields at most one 100-transaction page per address per cycle; a busier address is
sampled (a full page is logged as a possible gap). For complete coverage point a Helius
enhanced webhook at a receiver that feeds the same ``parse_enhanced``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import httpx

from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.helius.client import PAGE, HeliusClient
from memesnipe.connectors.helius.creators import CreatorBalances, with_balances
from memesnipe.connectors.helius.parse import parse_enhanced
from memesnipe.connectors.runner import Connector, Fetched, csv_list, now_utc, pairs, require_key
from memesnipe.connectors.sol_usd import SolUsd, SolUsdFollower, with_usd
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.watchlist import MintWatch, WatchlistFollower
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent

log = logging.getLogger(__name__)
SEEN_MAX = 50_000  # signatures remembered to publish a transaction polled twice once


class HeliusConnector(Connector):
    name = "helius"
    topic = "onchain"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        key = require_key(cfg.helius_api_key, "MEMESNIPE_CONNECTORS__HELIUS_API_KEY", self.name)
        self.addresses = csv_list(cfg.helius_addresses)
        if not self.addresses:
            raise SystemExit("memesnipe: helius needs addresses: set MEMESNIPE_CONNECTORS__HELIUS_ADDRESSES")
        try:
            self.creators = pairs(cfg.creator_wallets)
        except ValueError as exc:
            raise SystemExit(f"memesnipe: MEMESNIPE_CONNECTORS__CREATOR_WALLETS: {exc}") from None
        self.large_transfer_tokens = cfg.large_transfer_tokens
        self.airdrop_min_recipients = cfg.airdrop_min_recipients
        self.sol_follower = SolUsdFollower(settings)  # USD amounts from SOL amounts
        self.sol = SolUsd()
        self.interval_s = cfg.helius_interval_s
        self.client = HeliusClient(cfg.helius_base_url, key, timeout_s=cfg.timeout_s, transport=transport)
        self.rpc = SolanaRpcClient(settings.execution.rpc_url, timeout_s=cfg.timeout_s, transport=transport)
        self.holdings = CreatorBalances(self.creators)
        self.first_read: set[str] = set()  # watched mints whose first transaction was read
        self.last_sig: dict[str, str] = {}
        self.seen: OrderedDict[str, None] = OrderedDict()
        follower = WatchlistFollower(settings) if cfg.follow_watchlist else None
        self.watch = MintWatch(csv_list(cfg.mints), follower)

    async def polled(self) -> list[str]:
        """The configured addresses, then the watched mints (the watchlist's changes, no restart)."""
        mints = [m for m in await self.watch.current() if m not in self.addresses]
        polled = [*self.addresses, *mints]
        for gone in [a for a in self.last_sig if a not in polled]:
            del self.last_sig[gone]  # an evicted mint; re-admitted, it starts from its newest page
        self.first_read &= set(mints)  # an evicted mint's is forgotten with it
        for mint in mints:
            if mint not in self.first_read and self.holdings.creator(mint) is None:
                self.first_read.add(mint)
                await self._learn_creator(mint)
        return polled

    async def _learn_creator(self, mint: str) -> None:
        """A newly watched mint's first transaction (its creation, usually long before it was
        admitted) names its creator, whose later sales then carry its balance. Read for that
        only: the old creation is not published again."""
        try:
            first = await self.client.address_transactions(mint, limit=1, oldest_first=True)
        except ProviderError as exc:
            if exc.status in (401, 403):
                raise  # a refused key stops the connector (runner), not just this read
            log.warning("helius %s: first transaction: %s", mint, exc)
            return
        self.holdings.sales(first)

    async def fetch(self) -> list[Fetched]:
        self.sol = await self.sol_follower.current()
        out = []
        for addr in await self.polled():
            prev = self.last_sig.get(addr)
            page = await self.client.address_transactions(addr, until=prev)
            if isinstance(page, list) and page:
                first = page[0].get("signature") if isinstance(page[0], dict) else None
                if isinstance(first, str):
                    self.last_sig[addr] = first
                if prev and len(page) >= PAGE:
                    log.warning("helius %s: a full page of new transactions, older ones may be missed", addr)
                page = self._unseen(page)
            balances = await self.holdings.read(self.rpc, self.holdings.sales(page))
            out.append(Fetched(page, now_utc(), context={"address": addr, "balances": balances}))
        return out

    def _unseen(self, page: list[Any]) -> list[Any]:
        """The page without the transactions already fetched under another address."""
        fresh = []
        for tx in page:
            sig = tx.get("signature") if isinstance(tx, dict) else None
            if isinstance(sig, str):
                if sig in self.seen:
                    continue
                self.seen[sig] = None
                if len(self.seen) > SEEN_MAX:
                    self.seen.popitem(last=False)
            fresh.append(tx)  # anything unnamed goes on to the parser (and the dead-letter topic)
        return fresh

    def parse(self, item: Fetched) -> list[MarketEvent]:
        events = parse_enhanced(
            item.payload,
            creators=self.creators,
            large_transfer_tokens=self.large_transfer_tokens,
            airdrop_min_recipients=self.airdrop_min_recipients,
        )
        return with_usd(with_balances(events, item.context.get("balances", {})), self.sol)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.rpc.aclose()
        await self.sol_follower.aclose()
        await self.watch.aclose()
