"""``memesnipe connect bridge``: new Wormhole inflows to Solana, each operation once.

Polls the newest operations page and remembers the ids it published (bounded memory); only
inflows of watched mints are published when MEMESNIPE_CONNECTORS__MINTS is set, else all.
"""

from __future__ import annotations

from collections import OrderedDict

import httpx

from memesnipe.connectors.bridge.client import WormholescanClient
from memesnipe.connectors.bridge.parse import parse_operations
from memesnipe.connectors.runner import Connector, Fetched, csv_list, now_utc
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent

SEEN_MAX = 50_000


class BridgeConnector(Connector):
    name = "bridge"
    topic = "bridge"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.watched = set(csv_list(cfg.mints)) or None
        self.interval_s = cfg.bridge_interval_s
        self.client = WormholescanClient(cfg.bridge_base_url, timeout_s=cfg.timeout_s, transport=transport)
        self.seen: OrderedDict[str, None] = OrderedDict()

    async def fetch(self) -> list[Fetched]:
        return [Fetched(await self.client.operations(), now_utc())]

    def parse(self, item: Fetched) -> list[MarketEvent]:
        out: list[MarketEvent] = []
        for ev in parse_operations(item.payload):
            if ev.tx_id in self.seen or (self.watched is not None and ev.mint not in self.watched):
                continue
            self.seen[ev.tx_id] = None
            if len(self.seen) > SEEN_MAX:
                self.seen.popitem(last=False)
            out.append(ev)
        return out

    async def aclose(self) -> None:
        await self.client.aclose()
