"""``memesnipe connect safety``: per watched mint, every safety fact the gate needs, each in a
message of its own source on the onchain topic (so every fact travels with its source and time):

* ``solana_rpc``: mint and freeze authority (jsonParsed mint account) and the top-10 share of
  wallets (getTokenLargestAccounts, their owners via getMultipleAccounts jsonParsed, the owners'
  own accounts; pool vaults, bonding curves and program accounts excluded: ``holders.py``);
* ``pump_fun:bonding_curve`` (pump.fun tokens only): bonding-curve progress and, while the curve
  is not complete, LP 100% locked (the curve's liquidity cannot be withdrawn);
* ``rugcheck`` (``connectors.rugcheck_enabled``): RugCheck's normalised score, its danger-level
  risks and, once the token trades in a pool (no live curve), the LP burned/locked share and,
  when some LP is locked, when its lock ends (the full report's LP lockers, one more request).

A failing RugCheck call costs only RugCheck's facts this cycle; the gate then judges the others
(and refuses on the missing or stale ones it requires).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx

from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.pump_fun.curve import bonding_curve_address
from memesnipe.connectors.rugcheck.client import RugCheckClient
from memesnipe.connectors.rugcheck.parse import rugcheck_event
from memesnipe.connectors.runner import Connector, Fetched, now_utc, validate
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.solana_rpc.holders import holders, token_account_owners
from memesnipe.connectors.solana_rpc.parse import PROVIDER, curve_event, safety_event
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    LargestAccountsResult,
    MultipleAccountsResult,
    TokenSupplyResult,
)
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent

log = logging.getLogger(__name__)


def _live_curve(mint: str, curve_raw: Any, at: datetime) -> bool:
    """A pump.fun bonding curve still holding the liquidity (its LP fact is the curve's)."""
    try:
        ev = curve_event(mint, validate(AccountInfoResult, curve_raw, PROVIDER), at)
    except ProviderError:
        return False  # parse() dead-letters it; no report to ask for meanwhile
    return ev is not None and ev.lp_locked_pct is not None


class TokenSafetyConnector(Connector):
    name = "safety"
    topic = "onchain"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = cfg.safety_interval_s
        self.client = SolanaRpcClient(
            settings.execution.rpc_url, timeout_s=cfg.timeout_s, transport=transport
        )
        self.rugcheck = (
            RugCheckClient(
                cfg.rugcheck_base_url,
                api_key=cfg.rugcheck_api_key,
                timeout_s=cfg.timeout_s,
                transport=transport,
            )
            if cfg.rugcheck_enabled
            else None
        )

    async def _rpc_facts(self, mint: str) -> dict[str, Any]:
        call = self.client.call
        parsed = {"encoding": "jsonParsed", "commitment": "confirmed"}
        largest = await call("getTokenLargestAccounts", [mint])
        addresses = [a["address"] for a in (largest or {}).get("value", []) if isinstance(a, dict)]
        accounts = await call("getMultipleAccounts", [addresses, parsed]) if addresses else None
        owners = [
            ((acct or {}).get("data", {}).get("parsed", {}).get("info", {}).get("owner", ""))
            if isinstance((acct or {}).get("data"), dict)
            else ""
            for acct in ((accounts or {}).get("value") or [])
        ]
        owner_accounts = (
            await call("getMultipleAccounts", [owners, parsed]) if owners and all(owners) else None
        )
        return {
            "account": await call("getAccountInfo", [mint, parsed]),
            "largest": largest,
            "accounts": accounts,
            "owner_accounts": owner_accounts,
            "supply": await call("getTokenSupply", [mint]),
            "curve": await call(
                "getAccountInfo",
                [bonding_curve_address(mint), {"encoding": "base64", "commitment": "confirmed"}],
            ),
        }

    async def fetch(self) -> list[Fetched]:
        self.mints = await self.watch.current()  # the watchlist's new mints, no restart
        out = []
        for mint in self.mints:
            try:
                payload = await self._rpc_facts(mint)
            except ProviderError as exc:  # one bad mint must not starve the others
                if len(self.mints) == 1:
                    raise
                log.warning("safety %s: %s", mint, exc)
                continue
            fetched = now_utc()
            out.append(Fetched(payload, fetched, key=mint))
            if self.rugcheck is not None:
                try:
                    summary = await self.rugcheck.report_summary(mint)
                    report = await self._lockers(mint, summary, payload["curve"], fetched)
                except ProviderError as exc:
                    log.warning("safety %s: rugcheck: %s", mint, exc)
                else:
                    rc = {"rugcheck": summary, "curve": payload["curve"], "report": report}
                    out.append(Fetched(rc, now_utc(), key=mint))
        return out

    async def _lockers(self, mint: str, summary: Any, curve_raw: Any, at: datetime) -> Any:
        """The full report (its LP lockers' unlock dates) when the summary says some LP is locked
        and no live bonding curve holds the liquidity instead; else None, no request."""
        locked = summary.get("lpLockedPct") if isinstance(summary, dict) else None
        if not isinstance(locked, int | float) or locked <= 0 or _live_curve(mint, curve_raw, at):
            return None
        assert self.rugcheck is not None
        try:
            return await self.rugcheck.report(mint)
        except ProviderError as exc:  # the summary's facts still count; the unlock date is unknown
            log.warning("safety %s: rugcheck report: %s", mint, exc)
            return None

    def parse(self, item: Fetched) -> list[MarketEvent]:
        p = item.payload
        mint = item.key
        assert mint is not None
        curve = validate(AccountInfoResult, p["curve"], PROVIDER)
        if "rugcheck" in p:  # the LP fact of a live bonding curve is the curve's own
            on_curve = curve_event(mint, curve, item.fetched_at)
            live_curve = on_curve is not None and on_curve.lp_locked_pct is not None
            return [
                rugcheck_event(
                    mint, p["rugcheck"], item.fetched_at, with_lp=not live_curve, report=p.get("report")
                )
            ]
        largest = validate(LargestAccountsResult, p["largest"], PROVIDER)
        hs = None
        if p["accounts"] is not None:
            accounts = validate(MultipleAccountsResult, p["accounts"], PROVIDER)
            owner_accts = p["owner_accounts"]
            hs = holders(
                largest,
                token_account_owners(largest, accounts),
                validate(MultipleAccountsResult, owner_accts, PROVIDER) if owner_accts is not None else None,
            )
        events: list[MarketEvent] = [
            safety_event(
                mint,
                validate(AccountInfoResult, p["account"], PROVIDER),
                largest,
                validate(TokenSupplyResult, p["supply"], PROVIDER),
                item.fetched_at,
                hs if hs is not None else [],
            )
        ]
        ce = curve_event(mint, curve, item.fetched_at)
        if ce is not None:
            events.append(ce)
        return events

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.client.aclose()
        if self.rugcheck is not None:
            await self.rugcheck.aclose()
