"""Raw RugCheck payloads: ``dto.TokenCheckSummary`` of https://api.rugcheck.xyz/swagger/doc.json
(``error``, ``lpLockedPct``, ``mint``, ``risks``, ``score``, ``score_normalised``, ``tokenProgram``,
``tokenType``) and its ``rugcheck_api.Risk`` items (``name``, ``value``, ``description``, ``score``,
``level``); and of the full report (``GET /v1/tokens/{id}/report``, ``rugcheck_api.TokenCheck``) only
``lockers``: a map of ``rugcheck_api.Locker`` (``owner``, ``programID``, ``tokenAccount``, ``type``,
``unlockDate``, ``uri``, ``usdcLocked``), the token's LP vaults. Only the documented fields are
read; anything else is ignored."""

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


class Locker(_Raw):
    """One LP vault. ``unlockDate`` is Unix seconds (the spec's integer; 0 = none given)."""

    owner: str = ""
    programID: str = ""
    tokenAccount: str = ""
    type: str = ""
    unlockDate: int = 0
    usdcLocked: float = 0.0


class TokenReportLockers(_Raw):
    """The part of the full report we read."""

    mint: str | None = None
    lockers: dict[str, Locker] | None = None
