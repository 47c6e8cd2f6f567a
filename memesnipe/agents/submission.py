"""Live submission of a signed transaction: a Jito bundle (the tip is inside the transaction),
falling back to plain RPC ``sendTransaction`` when the block engine refuses it (if configured),
then polling until it landed, failed or expired. No Faust here; the submitter agent drives it.

Resending the same signed transaction is harmless (same signature, Solana runs it at most once),
so a crash between sending and recording never causes a second swap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.jito import BundleState, JitoClient
from memesnipe.connectors.jito.landing import wait_for_bundle
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.landed import LandedAmounts, LandedParseError, landed_amounts
from memesnipe.streams.trading import OrderState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    via: str  # "jito" or "rpc"
    ref: str  # bundle id (jito) or signature (rpc)


@dataclass(frozen=True)
class Outcome:
    state: OrderState  # LANDED, FAILED or EXPIRED
    slot: int | None = None
    reason: str = ""


@dataclass
class Submitter:
    jito: JitoClient
    rpc: SolanaRpcClient
    rpc_fallback: bool = True
    poll_interval_s: float = 1.0
    timeout_s: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic

    async def submit(self, signed_tx_b64: str, signature: str) -> Submission:
        """Send as a bundle; on refusal fall back to RPC. Raises ProviderError when both fail."""
        try:
            return Submission("jito", await self.jito.send_bundle([signed_tx_b64]))
        except ProviderError as exc:
            if not self.rpc_fallback:
                raise
            log.warning("sendBundle failed (%s); falling back to RPC sendTransaction", exc)
        sig = await self.rpc.send_transaction(signed_tx_b64, skip_preflight=True, max_retries=0)
        if signature and sig != signature:
            log.warning("RPC returned signature %s, signer said %s", sig, signature)
        return Submission("rpc", sig)

    async def outcome(self, sub: Submission) -> Outcome:
        if sub.via == "jito":
            st = await wait_for_bundle(
                self.jito,
                sub.ref,
                timeout_s=self.timeout_s,
                poll_interval_s=self.poll_interval_s,
                sleep=self.sleep,
                clock=self.clock,
            )
            if st.state is BundleState.LANDED:
                return Outcome(OrderState.LANDED, st.slot)
            if st.state is BundleState.FAILED:
                return Outcome(OrderState.FAILED, st.slot, st.error or "bundle failed in every region")
            return Outcome(OrderState.EXPIRED, None, f"bundle not landed within {self.timeout_s:.0f}s")
        return await self._signature_outcome(sub.ref)

    async def _signature_outcome(self, signature: str) -> Outcome:
        deadline = self.clock() + self.timeout_s
        while True:
            try:
                res = await self.rpc.get_signature_statuses([signature])
                st = res.value[0] if res.value else None
            except ProviderError as exc:
                log.warning("getSignatureStatuses failed: %s", exc)
                st = None
            if st is not None and st.err is not None:
                return Outcome(OrderState.FAILED, st.slot, f"transaction error: {st.err}")
            if st is not None and st.confirmationStatus in ("confirmed", "finalized"):
                return Outcome(OrderState.LANDED, st.slot)
            if self.clock() >= deadline:
                return Outcome(OrderState.EXPIRED, None, f"not confirmed within {self.timeout_s:.0f}s")
            await self.sleep(self.poll_interval_s)

    async def landed(self, signature: str, wallet: str, mint: str) -> LandedAmounts | None:
        """The wallet's actual SOL and token changes, or None if the RPC cannot tell yet."""
        cfg = {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}
        try:
            result: Any = await self.rpc.call("getTransaction", [signature, cfg])
            return landed_amounts(result, wallet, mint)
        except (ProviderError, LandedParseError) as exc:
            log.warning("cannot read landed transaction %s: %s", signature, exc)
            return None
