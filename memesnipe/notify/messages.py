"""Notifications: what to say about a fill, a kill-switch change or an Alertmanager alert.

Each has a stable ``id`` derived from its source (fill id; kill switch time and state; alert
fingerprint, status and start), so a re-delivered or re-read source is recognised as already
sent. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from memesnipe.streams.control import KillSwitch
from memesnipe.streams.trading import Fill

LAMPORTS_PER_SOL = 1_000_000_000


@dataclass(frozen=True)
class Notification:
    id: str
    kind: str  # fill | killswitch | alert
    title: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False

    def payload(self) -> dict[str, Any]:
        """The generic webhook's JSON body."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "urgent": self.urgent,
            "data": self.data,
        }

    def message(self) -> str:
        """The chat text: title line, then the details."""
        return f"{self.title}\n{self.text}" if self.text else self.title


def _sol(lamports: int) -> str:
    return f"{lamports / LAMPORTS_PER_SOL:.4f} SOL"


def from_fill(fill: Fill) -> Notification:
    costs = (
        fill.swap_fee_lamports + fill.priority_fee_lamports + fill.jito_tip_lamports + fill.drift_fee_lamports
    )
    mode = "paper" if fill.paper else "LIVE"
    title = f"FILL {fill.side.upper()} {fill.instance_id} {_sol(fill.notional_lamports)} ({mode})"
    text = (
        f"{fill.mint}: {fill.qty_tokens} tokens at {fill.price_sol:.6g} SOL"
        f"{f' (${fill.price_usd:.6g})' if fill.price_usd else ''}, costs {_sol(costs)}\n"
        f"order {fill.order_id}"
    )
    data = {
        "fill_id": fill.fill_id,
        "order_id": fill.order_id,
        "instance_id": fill.instance_id,
        "mint": fill.mint,
        "side": str(fill.side),
        "intent": str(fill.intent),
        "qty_tokens": fill.qty_tokens,
        "notional_lamports": fill.notional_lamports,
        "costs_lamports": costs,
        "price_sol": fill.price_sol,
        "paper": fill.paper,
        "ts": fill.ts.isoformat(),
    }
    return Notification(f"fill:{fill.fill_id}", "fill", title, text, data)


def from_kill_switch(ks: KillSwitch) -> Notification:
    state = "ON" if ks.active else "OFF"
    title = f"KILL SWITCH {state} by {ks.by}"
    extra = []
    if ks.flatten:
        extra.append("flatten: closing every position")
    if ks.drawdown is not None:
        extra.append(f"drawdown {ks.drawdown:.1%}")
    text = ks.reason + (f" ({'; '.join(extra)})" if extra else "")
    data = {
        "active": ks.active,
        "by": ks.by,
        "reason": ks.reason,
        "flatten": ks.flatten,
        "drawdown": ks.drawdown,
        "ts": ks.ts.isoformat(),
    }
    return Notification(
        f"killswitch:{ks.ts.isoformat()}:{state.lower()}", "killswitch", title, text, data, ks.active
    )


def from_alertmanager(payload: dict[str, Any]) -> list[Notification]:
    """One notification per alert of an Alertmanager webhook body (version 4)."""
    if str(payload.get("version", "4")) != "4" or not isinstance(payload.get("alerts"), list):
        raise ValueError("not an Alertmanager webhook payload (version 4 with an alerts list)")
    out = []
    for alert in payload["alerts"]:
        if not isinstance(alert, dict):
            raise ValueError("an alert must be a JSON object")
        labels = alert.get("labels") or {}
        notes = alert.get("annotations") or {}
        status = str(alert.get("status") or payload.get("status") or "firing")
        name = str(labels.get("alertname", "alert"))
        severity = str(labels.get("severity", ""))
        fingerprint = str(alert.get("fingerprint") or sorted(labels.items()))
        title = f"[{status.upper()}] {name}" + (f" ({severity})" if severity else "")
        text = "\n".join(str(notes[k]) for k in ("summary", "description") if notes.get(k))
        data = {"status": status, "labels": labels, "annotations": notes, "startsAt": alert.get("startsAt")}
        urgent = status == "firing" and severity == "critical"
        out.append(
            Notification(
                f"alert:{fingerprint}:{status}:{alert.get('startsAt', '')}",
                "alert",
                title,
                text,
                data,
                urgent,
            )
        )
    return out
