"""Solana JSON-RPC client (I/O only) over the shared HTTP seam.

JSON-RPC errors are translated once here: node-side transient codes (behind, unhealthy, slot
skipped, min-context-slot not reached) are TemporaryError; everything else, including a
sendTransaction preflight failure, is RejectedError with the node's message. Resending the same
signed transaction is safe (same signature), so HTTP-level retries also cover sendTransaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from memesnipe.connectors.errors import RejectedError, TemporaryError
from memesnipe.connectors.http import HttpClient
from memesnipe.connectors.runner import validate
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    BalanceResult,
    BlockhashResult,
    Envelope,
    LargestAccountsResult,
    MultipleAccountsResult,
    SignatureStatusesResult,
    TokenSupplyResult,
)

PROVIDER = "solana_rpc"
TEMPORARY_CODES = frozenset({-32004, -32005, -32007, -32009, -32014, -32016})
M = TypeVar("M", bound=BaseModel)


TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"


class SolanaRpcClient:
    def __init__(
        self,
        url: str,
        *,
        commitment: str = "confirmed",
        timeout_s: float = 10.0,
        rate_per_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.commitment = commitment
        parsed = httpx.URL(url)  # keep an ?api-key=... query out of the base URL join
        self._params = dict(parsed.params)
        self.http = HttpClient(
            PROVIDER,
            str(parsed.copy_with(query=None)),
            timeout_s=timeout_s,
            rate_per_s=rate_per_s,
            transport=transport,
        )
        self._ids = itertools.count(1)

    async def call(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC call; returns ``result`` or raises a ProviderError naming the method."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        env = validate(Envelope, await self.http.post("", json=body, params=self._params), PROVIDER)
        if env.error is not None:
            msg = f"{method}: JSON-RPC error {env.error.code}: {env.error.message}"
            if env.error.code in TEMPORARY_CODES:
                raise TemporaryError(PROVIDER, msg)
            raise RejectedError(PROVIDER, msg)
        return env.result

    async def _typed(self, model: type[M], method: str, params: list[Any]) -> M:
        return validate(model, await self.call(method, params), PROVIDER)

    # reading (token safety)
    async def get_account_info_parsed(self, pubkey: str) -> AccountInfoResult:
        cfg = {"encoding": "jsonParsed", "commitment": self.commitment}
        return await self._typed(AccountInfoResult, "getAccountInfo", [pubkey, cfg])

    async def get_account_info_base64(self, pubkey: str) -> AccountInfoResult:
        cfg = {"encoding": "base64", "commitment": self.commitment}
        return await self._typed(AccountInfoResult, "getAccountInfo", [pubkey, cfg])

    async def get_multiple_accounts_parsed(self, pubkeys: Sequence[str]) -> MultipleAccountsResult:
        """Up to 100 accounts, jsonParsed where the node has a parser (token accounts)."""
        if len(pubkeys) > 100:
            raise ValueError("at most 100 accounts per getMultipleAccounts call")
        cfg = {"encoding": "jsonParsed", "commitment": self.commitment}
        return await self._typed(MultipleAccountsResult, "getMultipleAccounts", [list(pubkeys), cfg])

    async def get_token_largest_accounts(self, mint: str) -> LargestAccountsResult:
        return await self._typed(
            LargestAccountsResult, "getTokenLargestAccounts", [mint, {"commitment": self.commitment}]
        )

    async def get_token_supply(self, mint: str) -> TokenSupplyResult:
        return await self._typed(TokenSupplyResult, "getTokenSupply", [mint, {"commitment": self.commitment}])

    # live execution (router / submitter)
    async def get_latest_blockhash(self, commitment: str | None = None) -> BlockhashResult:
        cfg = {"commitment": commitment or self.commitment}
        return await self._typed(BlockhashResult, "getLatestBlockhash", [cfg])

    async def get_balance(self, pubkey: str) -> int:
        """Lamports held by ``pubkey``."""
        return (
            await self._typed(BalanceResult, "getBalance", [pubkey, {"commitment": self.commitment}])
        ).value

    async def get_token_balances(self, owner: str) -> dict[str, int]:
        """The owner's token holdings by mint (base units), summed over its token accounts of
        both token programs (getTokenAccountsByOwner, jsonParsed)."""
        out: dict[str, int] = {}
        for program in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
            cfg = {"commitment": self.commitment, "encoding": "jsonParsed"}
            res = await self.call("getTokenAccountsByOwner", [owner, {"programId": program}, cfg])
            try:
                for item in res["value"]:
                    info = item["account"]["data"]["parsed"]["info"]
                    if info.get("owner") != owner:
                        continue
                    mint = str(info["mint"])
                    out[mint] = out.get(mint, 0) + int(info["tokenAmount"]["amount"])
            except (KeyError, TypeError, ValueError) as exc:
                raise RejectedError(PROVIDER, f"getTokenAccountsByOwner: bad shape ({exc!r})") from None
        return out

    async def get_token_balance(self, owner: str, mint: str) -> float:
        """Tokens of ``mint`` that ``owner`` holds (UI units: decimal-adjusted, as Helius reports
        amounts), summed over its token accounts of that mint; 0 when it has none
        (getTokenAccountsByOwner with the ``mint`` filter, jsonParsed)."""
        cfg = {"commitment": self.commitment, "encoding": "jsonParsed"}
        res = await self.call("getTokenAccountsByOwner", [owner, {"mint": mint}, cfg])
        total = 0.0
        try:
            for item in res["value"]:
                info = item["account"]["data"]["parsed"]["info"]
                if info.get("owner") != owner or info.get("mint") != mint:
                    continue
                amount = info["tokenAmount"]
                total += int(amount["amount"]) / 10 ** int(amount["decimals"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RejectedError(PROVIDER, f"getTokenAccountsByOwner: bad shape ({exc!r})") from None
        return total

    async def send_transaction(
        self, signed_tx_base64: str, *, skip_preflight: bool = False, max_retries: int | None = None
    ) -> str:
        """Submit a signed, base64-encoded transaction; returns its signature."""
        cfg: dict[str, Any] = {
            "encoding": "base64",
            "skipPreflight": skip_preflight,
            "preflightCommitment": self.commitment,
        }
        if max_retries is not None:
            cfg["maxRetries"] = max_retries
        sig = await self.call("sendTransaction", [signed_tx_base64, cfg])
        if not isinstance(sig, str) or not sig:
            raise RejectedError(PROVIDER, f"sendTransaction: expected a signature string, got {sig!r}")
        return sig

    async def get_signature_statuses(
        self, signatures: Sequence[str], *, search_history: bool = False
    ) -> SignatureStatusesResult:
        if len(signatures) > 256:
            raise ValueError("at most 256 signatures per getSignatureStatuses call")
        params = [list(signatures), {"searchTransactionHistory": search_history}]
        return await self._typed(SignatureStatusesResult, "getSignatureStatuses", params)

    async def get_recent_prioritization_fees(self, writable: Sequence[str] = ()) -> list[int]:
        """Recent per-block prioritization fees (micro-lamports per CU) for transactions locking
        all of ``writable`` (at most 128 addresses), oldest first."""
        res = await self.call("getRecentPrioritizationFees", [list(writable)[:128]])
        if not isinstance(res, list):
            raise RejectedError(PROVIDER, f"getRecentPrioritizationFees: expected a list, got {res!r}")
        try:
            return [int(x["prioritizationFee"]) for x in sorted(res, key=lambda x: x["slot"])]
        except (KeyError, TypeError, ValueError) as exc:
            raise RejectedError(PROVIDER, f"getRecentPrioritizationFees: bad entry ({exc})") from None

    async def is_blockhash_valid(self, blockhash: str) -> bool:
        """Whether a transaction with this blockhash can still land (isBlockhashValid, value)."""
        res = await self.call("isBlockhashValid", [blockhash, {"commitment": self.commitment}])
        value = res.get("value") if isinstance(res, dict) else None
        if not isinstance(value, bool):
            raise RejectedError(PROVIDER, f"isBlockhashValid: expected a bool value, got {res!r}")
        return value

    # history (gap backfill of the websocket client)
    async def get_signatures_for_address(
        self, address: str, *, until: str | None = None, before: str | None = None, limit: int = 1000
    ) -> Any:
        """Newest first; stops at (excludes) ``until``; pages backwards from ``before``."""
        cfg: dict[str, Any] = {"limit": limit, "commitment": self.commitment}
        if until:
            cfg["until"] = until
        if before:
            cfg["before"] = before
        return await self.call("getSignaturesForAddress", [address, cfg])

    async def get_transaction(self, signature: str) -> Any:
        """The confirmed transaction (json encoding, v0 allowed) or None when not found."""
        cfg = {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": self.commitment}
        return await self.call("getTransaction", [signature, cfg])

    async def aclose(self) -> None:
        await self.http.aclose()
