"""Jito block-engine client (I/O only) over the shared HTTP seam.

JSON-RPC 2.0 on ``<region endpoint>/api/v1/bundles`` (sendBundle, getBundleStatuses,
getInflightBundleStatuses, getTipAccounts) and ``/api/v1/transactions`` (sendTransaction).
The optional auth uuid goes in the ``x-jito-auth`` header. Jito's default limit is 1 request per
second per IP per region, so the token bucket defaults to that; 429s are retried after
Retry-After. Tip accounts are cached (they have stayed constant), the tip floor briefly.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from memesnipe.connectors.errors import ParseError, RejectedError, TemporaryError
from memesnipe.connectors.http import HttpClient, RetryPolicy
from memesnipe.connectors.jito.parse import PROVIDER, BundleStatus, final, inflight, tip_floor
from memesnipe.connectors.jito.schemas import BundleStatuses, Envelope, InflightStatuses, TipFloorEntry
from memesnipe.connectors.runner import validate
from memesnipe.core.tip import TipFloor

BUNDLES_PATH = "/api/v1/bundles"
TRANSACTIONS_PATH = "/api/v1/transactions"
MAX_BUNDLE = 5
_TIP_FLOOR = TypeAdapter(list[TipFloorEntry])


class JitoClient:
    def __init__(
        self,
        block_engine_url: str = "https://mainnet.block-engine.jito.wtf",
        *,
        uuid: str = "",
        tip_floor_url: str = "https://bundles.jito.wtf/api/v1/bundles/tip_floor",
        rate_per_s: float = 1.0,
        timeout_s: float = 5.0,
        tip_accounts_ttl_s: float = 3600.0,
        tip_floor_ttl_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        headers = {"x-jito-auth": uuid} if uuid else {}
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self.http = HttpClient(
            PROVIDER,
            block_engine_url.rstrip("/"),
            headers=headers,
            timeout_s=timeout_s,
            rate_per_s=rate_per_s,
            burst=1,
            transport=transport,
            retry=retry,
            **extra,
        )
        floor_url = httpx.URL(tip_floor_url)
        self._floor_path = floor_url.raw_path.decode()
        self.floor_http = HttpClient(
            PROVIDER,
            str(floor_url.copy_with(raw_path=b"/")).rstrip("/"),
            timeout_s=timeout_s,
            rate_per_s=rate_per_s,
            transport=transport,
            retry=retry,
            **extra,
        )
        self._ids = itertools.count(1)
        self._clock = clock
        self._tip_accounts: tuple[float, list[str]] | None = None
        self._tip_floor: tuple[float, TipFloor] | None = None
        self.tip_accounts_ttl_s = tip_accounts_ttl_s
        self.tip_floor_ttl_s = tip_floor_ttl_s

    async def call(self, path: str, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        env = validate(Envelope, await self.http.post(path, json=body), PROVIDER)
        if env.error is not None:
            msg = f"{method}: JSON-RPC error {env.error.code}: {env.error.message}"
            if env.error.code == -32097 or "rate limit" in env.error.message.lower():
                raise TemporaryError(PROVIDER, msg)
            raise RejectedError(PROVIDER, msg)
        return env.result

    async def get_tip_accounts(self) -> list[str]:
        """The tip accounts, cached for ``tip_accounts_ttl_s``."""
        now = self._clock()
        if self._tip_accounts and now - self._tip_accounts[0] < self.tip_accounts_ttl_s:
            return list(self._tip_accounts[1])
        result = await self.call(BUNDLES_PATH, "getTipAccounts", [])
        if not isinstance(result, list) or not result or not all(isinstance(a, str) for a in result):
            raise ParseError(PROVIDER, f"getTipAccounts: expected a list of addresses, got {result!r}")
        self._tip_accounts = (now, list(result))
        return list(result)

    async def get_tip_floor(self) -> TipFloor:
        """Landed-tip percentiles (lamports), cached for ``tip_floor_ttl_s``."""
        now = self._clock()
        if self._tip_floor and now - self._tip_floor[0] < self.tip_floor_ttl_s:
            return self._tip_floor[1]
        raw = await self.floor_http.get(self._floor_path)
        try:
            entries = _TIP_FLOOR.validate_python(raw)
        except ValidationError as exc:
            raise ParseError(PROVIDER, f"tip floor does not match the documented shape: {exc}") from None
        floor = tip_floor(entries)
        self._tip_floor = (now, floor)
        return floor

    async def send_bundle(self, signed_txs_b64: Sequence[str]) -> str:
        """Submit up to 5 signed transactions (base64); returns the bundle id."""
        if not 0 < len(signed_txs_b64) <= MAX_BUNDLE:
            raise ValueError(f"a bundle holds 1..{MAX_BUNDLE} transactions, got {len(signed_txs_b64)}")
        result = await self.call(BUNDLES_PATH, "sendBundle", [list(signed_txs_b64), {"encoding": "base64"}])
        if not isinstance(result, str) or not result:
            raise ParseError(PROVIDER, f"sendBundle: expected a bundle id, got {result!r}")
        return result

    async def send_transaction(self, signed_tx_b64: str, *, bundle_only: bool = True) -> str:
        """Jito's sendTransaction proxy (``bundleOnly`` = revert protection); returns the signature."""
        path = TRANSACTIONS_PATH + ("?bundleOnly=true" if bundle_only else "")
        result = await self.call(path, "sendTransaction", [signed_tx_b64, {"encoding": "base64"}])
        if not isinstance(result, str) or not result:
            raise ParseError(PROVIDER, f"sendTransaction: expected a signature, got {result!r}")
        return result

    async def get_inflight_bundle_statuses(self, bundle_ids: Sequence[str]) -> dict[str, BundleStatus]:
        ids = self._ids_ok(bundle_ids)
        result = await self.call(BUNDLES_PATH, "getInflightBundleStatuses", [ids])
        return inflight(None if result is None else validate(InflightStatuses, result, PROVIDER), ids)

    async def get_bundle_statuses(self, bundle_ids: Sequence[str]) -> dict[str, BundleStatus]:
        ids = self._ids_ok(bundle_ids)
        result = await self.call(BUNDLES_PATH, "getBundleStatuses", [ids])
        return final(None if result is None else validate(BundleStatuses, result, PROVIDER), ids)

    @staticmethod
    def _ids_ok(bundle_ids: Sequence[str]) -> list[str]:
        ids = list(bundle_ids)
        if not 0 < len(ids) <= MAX_BUNDLE:
            raise ValueError(f"1..{MAX_BUNDLE} bundle ids per status request, got {len(ids)}")
        return ids

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.floor_http.aclose()
