"""``memesnipe connect helius_webhook``: receive Helius enhanced webhooks (complete coverage,
no polling gaps) and publish them through the same parser as the poller.

Helius POSTs a JSON array of enhanced transactions to our URL with the webhook's configured
``authHeader`` as the ``Authorization`` header. The receiver answers 401 to anything else and
200 only after queueing the body: Helius retries non-2xx deliveries, so a body we could not
queue (full queue) gets 503 and comes back. Queued bodies are parsed and published by the
connector loop; an unparseable one goes to the dead-letter topic like any other payload. A sale
by a known creator carries the creator's balance read after it, as in the poller (``creators.py``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web

from memesnipe.connectors.helius.creators import CreatorBalances, with_balances
from memesnipe.connectors.helius.parse import parse_enhanced
from memesnipe.connectors.runner import Connector, Fetched, now_utc, pairs, require_key
from memesnipe.connectors.sol_usd import SolUsd, SolUsdFollower, with_usd
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent

log = logging.getLogger(__name__)
MAX_BODY = 8 * 1024 * 1024


class HeliusWebhookConnector(Connector):
    name = "helius_webhook"
    topic = "onchain"
    interval_s = 0.2

    def __init__(self, settings: Settings, transport: Any = None, *, queue_max: int = 10_000) -> None:
        cfg = settings.connectors
        self.auth = require_key(
            cfg.helius_webhook_auth, "MEMESNIPE_CONNECTORS__HELIUS_WEBHOOK_AUTH", self.name
        )
        self.host, self.port = cfg.helius_webhook_host, cfg.helius_webhook_port
        try:
            self.creators = pairs(cfg.creator_wallets)
        except ValueError as exc:
            raise SystemExit(f"memesnipe: MEMESNIPE_CONNECTORS__CREATOR_WALLETS: {exc}") from None
        self.large_transfer_tokens = cfg.large_transfer_tokens
        self.airdrop_min_recipients = cfg.airdrop_min_recipients
        self.sol_follower = SolUsdFollower(settings)  # USD amounts from SOL amounts
        self.sol = SolUsd()
        self.rpc = SolanaRpcClient(settings.execution.rpc_url, timeout_s=cfg.timeout_s, transport=transport)
        self.holdings = CreatorBalances(self.creators)
        self.queue: asyncio.Queue[Fetched] = asyncio.Queue(maxsize=queue_max)
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/", self._receive)
        app.router.add_post("/helius", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("helius webhook receiver on http://%s:%s/helius", self.host, self.bound_port)

    async def _receive(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get("Authorization", ""), self.auth):
            return web.Response(status=401, text="bad authorization")
        try:
            body = await request.json()
        except ValueError:
            body = await request.text()  # still recorded: it will be dead-lettered with the reason
        try:
            self.queue.put_nowait(Fetched(body, now_utc()))
        except asyncio.QueueFull:
            return web.Response(status=503, text="busy, retry")
        return web.Response(status=200, text="ok")

    async def fetch(self) -> list[Fetched]:
        if self._runner is None:
            await self.start()
        self.sol = await self.sol_follower.current()
        out = []
        while not self.queue.empty():
            item = self.queue.get_nowait()
            item.context["balances"] = await self.holdings.read(self.rpc, self.holdings.sales(item.payload))
            out.append(item)
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        events = parse_enhanced(
            item.payload,
            creators=self.creators,
            large_transfer_tokens=self.large_transfer_tokens,
            airdrop_min_recipients=self.airdrop_min_recipients,
        )
        return with_usd(with_balances(events, item.context.get("balances", {})), self.sol)

    async def aclose(self) -> None:
        await self.sol_follower.aclose()
        await self.rpc.aclose()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
