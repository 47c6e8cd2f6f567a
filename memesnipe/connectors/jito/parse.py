"""Jito payloads -> our types: one BundleStatus per bundle id, a TipFloor in lamports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.jito.schemas import BundleStatuses, InflightStatuses, TipFloorEntry
from memesnipe.core.tip import TipFloor

PROVIDER = "jito"


class BundleState(StrEnum):
    PENDING = "pending"  # keep polling
    LANDED = "landed"
    FAILED = "failed"
    INVALID = "invalid"  # unknown to the block engine (5-minute look-back): not sent or expired
    UNKNOWN = "unknown"  # not found (null)


@dataclass(frozen=True)
class BundleStatus:
    bundle_id: str
    state: BundleState
    slot: int | None = None
    confirmation: str | None = None
    signatures: tuple[str, ...] = ()
    error: str = ""


_INFLIGHT = {
    "Pending": BundleState.PENDING,
    "Landed": BundleState.LANDED,
    "Failed": BundleState.FAILED,
    "Invalid": BundleState.INVALID,
}


def inflight(raw: InflightStatuses | None, ids: list[str]) -> dict[str, BundleStatus]:
    out = {i: BundleStatus(i, BundleState.UNKNOWN) for i in ids}
    if raw is None:
        return out
    for e in raw.value:
        if e is None:
            continue
        state = _INFLIGHT.get(e.status)
        if state is None:
            raise ParseError(PROVIDER, f"unknown inflight bundle status {e.status!r}")
        out[e.bundle_id] = BundleStatus(e.bundle_id, state, e.landed_slot)
    return out


def _err_text(err: object) -> str:
    if err is None or err == {"Ok": None}:
        return ""
    return str(err)


def final(raw: BundleStatuses | None, ids: list[str]) -> dict[str, BundleStatus]:
    """getBundleStatuses: a found bundle landed (err empty) or landed-and-failed (err set)."""
    out = {i: BundleStatus(i, BundleState.UNKNOWN) for i in ids}
    if raw is None:
        return out
    for e in raw.value:
        if e is None:
            continue
        err = _err_text(e.err)
        out[e.bundle_id] = BundleStatus(
            e.bundle_id,
            BundleState.FAILED if err else BundleState.LANDED,
            e.slot,
            e.confirmation_status or e.confirmationStatus,
            tuple(e.transactions),
            err,
        )
    return out


def tip_floor(entries: list[TipFloorEntry]) -> TipFloor:
    if not entries:
        raise ParseError(PROVIDER, "tip floor response is an empty list")
    e = entries[0]
    try:
        return TipFloor.from_sol(
            {
                25: e.landed_tips_25th_percentile,
                50: e.landed_tips_50th_percentile,
                75: e.landed_tips_75th_percentile,
                95: e.landed_tips_95th_percentile,
                99: e.landed_tips_99th_percentile,
            },
            e.ema_landed_tips_50th_percentile,
        )
    except ValueError as exc:
        raise ParseError(PROVIDER, f"tip floor: {exc}") from None
