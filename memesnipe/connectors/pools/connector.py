"""``memesnipe connect pools``: for every watchlist entry with a pool (a PumpSwap migration, a new
Raydium pool), its liquidity from the pool's reserves and its LP burned share from the pool's
own state, as a SAFETY fact message (source ``<dex>:pool``) on the onchain topic.

Per pool and cycle: getAccountInfo(pool, base64) -> the owner program's layout
(:data:`~memesnipe.connectors.pools.programs.STATE`) -> getMultipleAccounts(jsonParsed) of its
two vaults, LP mint and known LP locker vaults. SOL-quoted pools are priced with the ``sol_price``
topic's SOL/USD of the same moment (no SOL price: the LP fact alone). A pool whose account or
vaults do not read as documented is dead-lettered with the reason; the other pools go on. A pool
of a program whose layout we do not read is skipped, logged once: nothing wrong with it.
Polled every ``connectors.safety_interval_s``, like the other safety facts.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

import httpx

from memesnipe.connectors.errors import ParseError, ProviderError
from memesnipe.connectors.pools.programs import STATE
from memesnipe.connectors.pools.reserves import ReserveReadingError, accounts_to_read, pool_event, reading
from memesnipe.connectors.pools.state import PoolLayoutError, PoolState
from memesnipe.connectors.runner import Connector, Fetched, now_utc, validate
from memesnipe.connectors.sol_usd import SolUsd, SolUsdFollower
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.solana_rpc.schemas import AccountInfoResult, MultipleAccountsResult
from memesnipe.connectors.watchlist import WatchlistFollower
from memesnipe.streams.market import MarketEvent

log = logging.getLogger(__name__)
PROVIDER = "pools"


def pool_state(pool: str, account: Any) -> PoolState:
    """getAccountInfo(base64) of a pool -> its state; ParseError when it is not a pool we read."""
    info = validate(AccountInfoResult, account, PROVIDER)
    v = info.value
    if v is None or not isinstance(v.data, list) or len(v.data) < 1:
        raise ParseError(PROVIDER, f"pool {pool}: no account, or not base64 data")
    decode = STATE.get(v.owner)
    if decode is None:
        raise ParseError(PROVIDER, f"pool {pool}: owner {v.owner} is not a pool program we read")
    try:
        return decode(pool, base64.b64decode(v.data[0], validate=True))
    except (binascii.Error, ValueError) as exc:  # PoolLayoutError is a ValueError
        raise ParseError(PROVIDER, f"pool {pool}: {exc}") from None


def _owner(account: Any) -> str | None:
    value = account.get("value") if isinstance(account, dict) else None
    owner = value.get("owner") if isinstance(value, dict) else None
    return owner if isinstance(owner, str) else None


class PoolReservesConnector(Connector):
    name = "pools"
    topic = "onchain"

    def __init__(
        self,
        settings: Any,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        follower: WatchlistFollower | None = None,
        sol: SolUsdFollower | None = None,
    ) -> None:
        cfg = settings.connectors
        self.interval_s = cfg.safety_interval_s
        self.client = SolanaRpcClient(
            settings.execution.rpc_url, timeout_s=cfg.timeout_s, transport=transport
        )
        self.follower = follower or WatchlistFollower(settings)
        self.sol_follower = sol or SolUsdFollower(settings)
        self.sol = SolUsd()
        self.unsupported: dict[str, str] = {}  # pool -> its owner program, skipped

    async def pools(self) -> dict[str, str]:
        """mint -> pool of the watchlist's ACTIVE entries that have one."""
        await self.follower.refresh()
        return {m: e.pool for m, e in self.follower.active.items() if e.pool}

    async def fetch(self) -> list[Fetched]:
        self.sol = await self.sol_follower.refresh()
        out = []
        b64 = {"encoding": "base64", "commitment": "confirmed"}
        parsed = {"encoding": "jsonParsed", "commitment": "confirmed"}
        for mint, pool in (await self.pools()).items():
            if pool in self.unsupported:
                continue
            try:
                account = await self.client.call("getAccountInfo", [pool, b64])
                owner = _owner(account)
                if owner is not None and owner not in STATE:
                    self.unsupported[pool] = owner
                    log.info("pools %s (%s): owner %s, a layout we do not read; skipped", pool, mint, owner)
                    continue
                try:
                    st = pool_state(pool, account)
                except ParseError:
                    vaults = None  # parse dead-letters it with the reason
                else:
                    vaults = await self.client.call("getMultipleAccounts", [accounts_to_read(st), parsed])
            except ProviderError as exc:  # one pool's failure must not starve the others
                log.warning("pools %s (%s): %s", pool, mint, exc)
                continue
            out.append(Fetched({"pool": pool, "account": account, "vaults": vaults}, now_utc(), key=mint))
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        p = item.payload
        st = pool_state(p["pool"], p["account"])
        try:
            r = reading(st, validate(MultipleAccountsResult, p["vaults"], PROVIDER))
        except (ReserveReadingError, PoolLayoutError) as exc:
            raise ParseError(PROVIDER, f"pool {p['pool']}: {exc}") from None
        ev = pool_event(r, item.fetched_at, self.sol.at(item.fetched_at))
        if ev is None:
            return []
        if item.key and ev.mint != item.key:
            raise ParseError(PROVIDER, f"pool {p['pool']} trades {ev.mint}, the watchlist says {item.key}")
        return [ev]

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.follower.aclose()
        await self.sol_follower.aclose()
