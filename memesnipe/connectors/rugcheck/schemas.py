"""Raw RugCheck payloads: ``dto.TokenCheckSummary`` of https://api.rugcheck.xyz/swagger/doc.json
(``error``, ``lpLockedPct``, ``mint``, ``risks``, ``score``, ``score_normalised``, ``tokenProgram``,
``tokenType``) and its ``rugcheck_api.Risk`` items (``name``, ``value``, ``description``, ``score``,
``level``). Only the documented fields are read; anything else is ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Risk(_Raw):
    name: str
    value: str = ""
    description: str = ""
    score: int = 0
    level: str = ""  # observed: "info" | "warn" | "danger"


class TokenCheckSummary(_Raw):
    mint: str | None = None  # not present in every recorded response
    tokenProgram: str = ""
    tokenType: str = ""
    risks: list[Risk] | None = None
    score: int
    score_normalised: float
    lpLockedPct: float | None = None  # percent, 0..100
    error: str | None = None
