"""Raw Jito payloads as documented on https://docs.jito.wtf/lowlatencytxnsend/ (JSON-RPC 2.0)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RpcError(_Raw):
    code: int
    message: str
    data: Any = None


class Envelope(_Raw):
    jsonrpc: str = "2.0"
    id: int | str | None = None
    result: Any = None
    error: RpcError | None = None


class Context(_Raw):
    slot: int


class BundleStatusEntry(_Raw):
    bundle_id: str
    transactions: list[str] = []
    slot: int | None = None
    confirmation_status: str | None = None
    confirmationStatus: str | None = None  # the docs' field table spells it this way
    err: Any = None


class BundleStatuses(_Raw):
    context: Context
    value: list[BundleStatusEntry | None] = []


class InflightEntry(_Raw):
    bundle_id: str
    status: str  # Invalid | Pending | Failed | Landed
    landed_slot: int | None = None


class InflightStatuses(_Raw):
    context: Context
    value: list[InflightEntry | None] = []


class TipFloorEntry(_Raw):
    time: str
    landed_tips_25th_percentile: float
    landed_tips_50th_percentile: float
    landed_tips_75th_percentile: float
    landed_tips_95th_percentile: float
    landed_tips_99th_percentile: float
    ema_landed_tips_50th_percentile: float | None = None
