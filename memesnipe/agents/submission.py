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
from dataclasses import dataclass, field
from typing import Any

from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.jito import BundleState, JitoClient
from memesnipe.connectors.jito.landing import wait_for_bundle
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.landed import LandedAmounts, LandedParseError, landed_amounts
from memesnipe.metrics import BUNDLE_REGIONS, LANDING_OUTCOMES, REBROADCASTS, TIME_TO_LAND
from memesnipe.streams.trading import OrderState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    via: str  # "jito" or "rpc"
    ref: str  # bundle id (jito) or signature (rpc)


@dataclass(frozen=True)
class LandedRead:
    """A landed transaction read back: its amounts, or why not (failed on chain / unknown yet)."""

    amounts: LandedAmounts | None
    failed: str = ""


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
    expiry_ceiling_s: float = 180.0  # a blockhash lives ~60-90 s; stop re-checking after this
    read_attempts: int = 8  # getTransaction reads before a landed fill is left for the timer
    regions: list[JitoClient] = field(default_factory=list)  # extra block engines, same bundle
    _signed: dict[str, str] = field(default_factory=dict)  # signature -> signed tx, for rebroadcast
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic

    async def submit(self, signed_tx_b64: str, signature: str) -> Submission:
        """Send as a bundle to the primary block engine and every extra region at once (the
        bundle id is the same everywhere: it is derived from the signatures); on refusal by all,
        fall back to RPC. Raises ProviderError when everything fails."""
        engines = [self.jito, *self.regions]
        answers = await asyncio.gather(
            *(j.send_bundle([signed_tx_b64]) for j in engines), return_exceptions=True
        )
        for ans in answers:
            if isinstance(ans, BaseException) and not isinstance(ans, ProviderError):
                raise ans
        ok = [a for a in answers if isinstance(a, str)]
        BUNDLE_REGIONS.labels(outcome="accepted").inc(len(ok))
        BUNDLE_REGIONS.labels(outcome="refused").inc(len(answers) - len(ok))
        if ok:
            self._signed[signature or ok[0]] = signed_tx_b64
            return Submission("jito", ok[0])
        exc = answers[0]
        if not self.rpc_fallback:
            assert isinstance(exc, BaseException)
            raise exc
        log.warning("sendBundle refused by every block engine (%s); falling back to RPC sendTransaction", exc)
        sig = await self.rpc.send_transaction(signed_tx_b64, skip_preflight=True, max_retries=0)
        if signature and sig != signature:
            log.warning("RPC returned signature %s, signer said %s", sig, signature)
        self._signed[sig] = signed_tx_b64
        return Submission("rpc", sig)

    async def _rebroadcast(self, signature: str) -> None:
        """An RPC submission is sent again on every poll until it is confirmed or its blockhash
        expired (the same signed bytes: Solana runs a signature at most once)."""
        tx = self._signed.get(signature)
        if tx is None:
            return
        try:
            await self.rpc.send_transaction(tx, skip_preflight=True, max_retries=0)
            REBROADCASTS.inc()
        except ProviderError as exc:
            log.info("rebroadcast of %s refused: %s", signature, exc)

    async def outcome(self, sub: Submission, signature: str = "", blockhash: str = "") -> Outcome:
        """LANDED / FAILED, or EXPIRED only once the transaction can no longer land: a bundle not
        seen landing within ``timeout_s`` (or an RPC send not confirmed by then) is re-checked by
        its signature until its blockhash has expired, so a late landing is booked, not lost."""
        started = self.clock()
        first = await self._first_outcome(sub)
        out = first
        if first.state is OrderState.EXPIRED and signature and blockhash:
            out = await self._until_blockhash_expiry(
                signature, blockhash, first.reason, rebroadcast=sub.via == "rpc"
            )
        LANDING_OUTCOMES.labels(via=sub.via, state=out.state.value).inc()
        if out.state is OrderState.LANDED:
            TIME_TO_LAND.labels(via=sub.via).observe(self.clock() - started)
        self._signed.pop(signature or sub.ref, None)
        return out

    async def _until_blockhash_expiry(
        self, signature: str, blockhash: str, why: str, *, rebroadcast: bool = False
    ) -> Outcome:
        deadline = self.clock() + self.expiry_ceiling_s
        while True:
            if rebroadcast:
                await self._rebroadcast(signature)
            st = await self._status(signature)
            if st is not None:
                return st
            try:
                valid = await self.rpc.is_blockhash_valid(blockhash)
            except ProviderError as exc:
                log.warning("isBlockhashValid failed: %s", exc)
                valid = True  # unknown: keep checking until the ceiling
            if not valid:
                st = await self._status(signature)  # it may have landed just before expiry
                return st or Outcome(OrderState.EXPIRED, None, f"{why}; blockhash expired, never landed")
            if self.clock() >= deadline:
                return Outcome(
                    OrderState.EXPIRED, None, f"{why}; still unknown after {self.expiry_ceiling_s:.0f}s"
                )
            await self.sleep(self.poll_interval_s)

    async def _status(self, signature: str) -> Outcome | None:
        try:
            res = await self.rpc.get_signature_statuses([signature], search_history=True)
            st = res.value[0] if res.value else None
        except ProviderError as exc:
            log.warning("getSignatureStatuses failed: %s", exc)
            return None
        if st is not None and st.err is not None:
            return Outcome(OrderState.FAILED, st.slot, f"transaction error: {st.err}")
        if st is not None and st.confirmationStatus in ("confirmed", "finalized"):
            return Outcome(OrderState.LANDED, st.slot, "landed late")
        return None

    async def _first_outcome(self, sub: Submission) -> Outcome:
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
            await self._rebroadcast(signature)
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
        read = await self.read_landed(signature, wallet, mint, attempts=1)
        return read.amounts

    async def read_landed(self, signature: str, wallet: str, mint: str, *, attempts: int = 0) -> LandedRead:
        """The landed transaction read back (``getTransaction``), retried with backoff until the
        RPC can tell: its actual amounts, or that it failed on chain, or still unknown."""
        cfg = {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}
        delay = self.poll_interval_s
        for attempt in range(attempts or self.read_attempts):
            if attempt:
                await self.sleep(delay)
                delay = min(delay * 2, 8.0)
            try:
                result: Any = await self.rpc.call("getTransaction", [signature, cfg])
                return LandedRead(landed_amounts(result, wallet, mint))
            except LandedParseError as exc:
                if "failed on chain" in str(exc):
                    return LandedRead(None, failed=str(exc))
                log.info("landed transaction %s not readable yet: %s", signature, exc)
            except ProviderError as exc:
                log.warning("getTransaction %s failed: %s", signature, exc)
        return LandedRead(None)
