"""Jupiter swap client (I/O only) over the shared HTTP seam: ``x-api-key`` header, timeouts,
retries on 429/5xx with backoff, token-bucket rate limit, one injectable transport.

We build swaps with ``GET /swap/v2/build`` (raw instructions + inline lookup tables + a recent
blockhash) and compile the transaction ourselves, so our Jito tip and memo sit inside it and the
signer's policy sees every instruction. ``/order`` + ``/execute`` would land the transaction
through Jupiter with neither, so it is used only as a quote (no ``taker``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient, RetryPolicy
from memesnipe.connectors.jupiter.parse import PROVIDER, Quote, SwapPlan, quote_from_raw, swap_plan_from_build
from memesnipe.connectors.jupiter.schemas import RawBuild, RawQuote, RawSwapInstructions
from memesnipe.connectors.runner import validate

BUILD_PATH = "/swap/v2/build"
ORDER_PATH = "/swap/v2/order"
QUOTE_PATH = "/swap/v1/quote"
SWAP_INSTRUCTIONS_PATH = "/swap/v1/swap-instructions"


class JupiterClient:
    def __init__(
        self,
        base_url: str = "https://api.jup.ag",
        *,
        api_key: str = "",
        timeout_s: float = 5.0,
        rate_per_s: float = 1.0,
        max_accounts: int = 64,
        restrict_intermediate_tokens: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Any = None,
    ) -> None:
        headers = {"x-api-key": api_key} if api_key else {}
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self.http = HttpClient(
            PROVIDER,
            base_url.rstrip("/"),
            headers=headers,
            timeout_s=timeout_s,
            rate_per_s=rate_per_s,
            transport=transport,
            retry=retry,
            **kwargs,
        )
        self.max_accounts = max_accounts
        self.restrict_intermediate_tokens = restrict_intermediate_tokens

    async def quote(self, input_mint: str, output_mint: str, amount: int, slippage_bps: int) -> Quote:
        """Best ExactIn route for ``amount`` base units of ``input_mint`` (V1 /quote)."""
        params = {
            "inputMint": input_mint,
            "outputMint": output_mint,
            "amount": str(int(amount)),
            "slippageBps": str(int(slippage_bps)),
            "swapMode": "ExactIn",
            "restrictIntermediateTokens": str(self.restrict_intermediate_tokens).lower(),
            "maxAccounts": str(self.max_accounts),
        }
        raw = validate(RawQuote, await self.http.get(QUOTE_PATH, params=params), PROVIDER)
        return quote_from_raw(raw)

    async def order_quote(self, input_mint: str, output_mint: str, amount: int, slippage_bps: int) -> Quote:
        """A V2 /order quote without ``taker`` (no transaction is built)."""
        params = {
            "inputMint": input_mint,
            "outputMint": output_mint,
            "amount": str(int(amount)),
            "slippageBps": str(int(slippage_bps)),
        }
        raw = validate(RawQuote, await self.http.get(ORDER_PATH, params=params), PROVIDER)
        return quote_from_raw(raw)

    async def build(
        self,
        input_mint: str,
        output_mint: str,
        amount: int,
        slippage_bps: int,
        taker: str,
        *,
        for_jito_bundle: bool = True,
    ) -> SwapPlan:
        """Quote + raw instructions + lookup tables + blockhash for ``taker`` (V2 /build)."""
        params = {
            "inputMint": input_mint,
            "outputMint": output_mint,
            "amount": str(int(amount)),
            "taker": taker,
            "slippageBps": str(int(slippage_bps)),
            "maxAccounts": str(min(self.max_accounts, 64)),
            "wrapAndUnwrapSol": "true",
            "forJitoBundle": str(for_jito_bundle).lower(),
        }
        raw = validate(RawBuild, await self.http.get(BUILD_PATH, params=params), PROVIDER)
        return swap_plan_from_build(raw)

    async def build_for_impact(
        self,
        input_mint: str,
        output_mint: str,
        amount: int,
        taker: str,
        slippage_for: Callable[[float | None], int],
    ) -> tuple[SwapPlan, int]:
        """A build whose slippage follows the route's own price impact: built with
        ``slippage_for(None)`` (the caller's estimate before any quote), and once more when the
        quote's impact asks for more room (``slippage_for(impact)`` higher). Returns the swap and
        the slippage its route instruction carries."""
        slip = slippage_for(None)
        swap = await self.build(input_mint, output_mint, amount, slip, taker)
        need = slippage_for(swap.quote.price_impact_bps)
        if need > slip:
            slip = need
            swap = await self.build(input_mint, output_mint, amount, slip, taker)
        return swap, slip

    async def swap_instructions(
        self, quote_response: dict[str, Any], user_public_key: str
    ) -> RawSwapInstructions:
        """Deprecated V1 path, kept for endpoints without /build (lookup tables by address only)."""
        body = {
            "quoteResponse": quote_response,
            "userPublicKey": user_public_key,
            "wrapAndUnwrapSol": True,
            "dynamicComputeUnitLimit": True,
        }
        return validate(
            RawSwapInstructions, await self.http.post(SWAP_INSTRUCTIONS_PATH, json=body), PROVIDER
        )

    async def aclose(self) -> None:
        await self.http.aclose()
