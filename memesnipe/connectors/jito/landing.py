"""Wait for a bundle to land: poll getInflightBundleStatuses until Landed / Failed, confirm a
landing with getBundleStatuses (slot, signatures, execution error), give up as EXPIRED after the
timeout. Each poll is one rate-limited request, so several bundles share Jito's 1 req/s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from memesnipe.connectors.errors import TemporaryError
from memesnipe.connectors.jito.client import JitoClient
from memesnipe.connectors.jito.parse import BundleState, BundleStatus


async def wait_for_bundle(
    client: JitoClient,
    bundle_id: str,
    *,
    timeout_s: float,
    poll_interval_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> BundleStatus:
    """LANDED (confirmed), FAILED (rejected or reverted) or, after ``timeout_s``, INVALID/UNKNOWN
    (the bundle did not land in time: the caller marks the order EXPIRED)."""
    deadline = clock() + timeout_s
    last = BundleStatus(bundle_id, BundleState.UNKNOWN)
    while True:
        try:
            status = (await client.get_inflight_bundle_statuses([bundle_id]))[bundle_id]
        except TemporaryError as exc:
            status = BundleStatus(bundle_id, BundleState.PENDING, error=str(exc))
        if status.state is BundleState.LANDED:
            try:
                confirmed = (await client.get_bundle_statuses([bundle_id]))[bundle_id]
            except TemporaryError:
                confirmed = status
            if confirmed.state in (BundleState.LANDED, BundleState.FAILED):
                return confirmed
            return status
        if status.state is BundleState.FAILED:
            return status
        last = status
        if clock() >= deadline:
            return (
                last
                if last.state is not BundleState.PENDING
                else BundleStatus(bundle_id, BundleState.INVALID, error="timed out while pending")
            )
        await sleep(poll_interval_s)
