"""A transaction's log lines -> pump.fun discovery events (pure).

Only ``Program data:`` lines written while pump.fun itself is the executing program count: the
runtime prefixes nothing to them, so any program could log bytes that start with CreateEvent's
discriminator; we follow the ``Program <id> invoke [n]`` / ``success`` / ``failed`` lines to know
who is speaking. Failed transactions (``err`` set) yield nothing: their events never happened.

Per event: a :class:`~memesnipe.core.watchlist.Candidate` for the watchlist, and an
``OnChainEvent`` for the ``onchain`` topic (create -> NEW_MINT, migrate -> NEW_POOL; a bonding
curve ``complete`` is only a candidate). Event time is the event's own ``timestamp`` (the block
time the program read from the Clock sysvar); the oldest CreateEvents carry none, so the
block time (or the caller's receive time) stands in.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from memesnipe.connectors.pools.logs import program_lines
from memesnipe.connectors.pump_fun.events import (
    PUMP_PROGRAM,
    TOKEN_PROGRAM,
    EventDecodeError,
    decode_event,
)
from memesnipe.core.watchlist import Candidate
from memesnipe.streams.market import OnChainEvent, OnChainKind
from memesnipe.streams.watchlist import DiscoveryOrigin

log = logging.getLogger(__name__)
PROVIDER = "pump_fun"
DATA = "Program data: "


@dataclass
class Discovered:
    candidates: list[Candidate] = field(default_factory=list)
    events: list[OnChainEvent] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # undecodable lines that carried our discriminators


def program_data(logs: Sequence[str], program: str = PUMP_PROGRAM) -> list[bytes]:
    """The decoded ``Program data:`` payloads ``program`` itself logged, in order."""
    out: list[bytes] = []
    for payload in program_lines(logs, program, DATA):
        try:
            out.append(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            continue  # not base64: not an Anchor event
    return out


def _ts(fields: dict[str, object], fallback: datetime) -> datetime:
    t = fields.get("timestamp")
    if isinstance(t, int) and t > 0:
        return datetime.fromtimestamp(t, UTC)
    return fallback


def parse_logs(
    signature: str,
    logs: Sequence[str] | None,
    *,
    err: object = None,
    block_time: datetime | None = None,
    received_at: datetime | None = None,
) -> Discovered:
    """One transaction's logs -> its discovery events."""
    out = Discovered()
    if err is not None or not logs:
        return out
    fallback = block_time or received_at or datetime.now(UTC)
    for data in program_data(logs):
        try:
            decoded = decode_event(data)
        except EventDecodeError as exc:
            out.bad.append(f"{signature}: {exc}")
            continue
        if decoded is None:
            continue
        name, f = decoded
        ts = _ts(f, fallback)
        mint = str(f["mint"])
        if name == "CreateEvent":
            program = str(f.get("token_program", TOKEN_PROGRAM))
            ix = "create" if program == TOKEN_PROGRAM else "create_v2"
            out.candidates.append(
                Candidate(
                    mint, ts, DiscoveryOrigin.PUMP_CREATE, f"{PROVIDER}:{ix}", ts, "", program, signature
                )
            )
            out.events.append(
                OnChainEvent(
                    mint=mint,
                    ts=ts,
                    source=f"{PROVIDER}:{ix}",
                    kind=OnChainKind.NEW_MINT,
                    signature=signature,
                    wallet=str(f.get("creator", f["user"])),
                    amount_tokens=float(f.get("token_total_supply", 0)),
                )
            )
        elif name == "CompleteEvent":
            out.candidates.append(
                Candidate(
                    mint, ts, DiscoveryOrigin.PUMP_COMPLETE, f"{PROVIDER}:complete", signature=signature
                )
            )
        elif name == "CompletePumpAmmMigrationEvent":
            pool = str(f["pool"])
            out.candidates.append(
                Candidate(
                    mint,
                    ts,
                    DiscoveryOrigin.PUMP_MIGRATE,
                    f"{PROVIDER}:migrate",
                    pool=pool,
                    signature=signature,
                )
            )
            out.events.append(
                OnChainEvent(
                    mint=mint,
                    ts=ts,
                    source=f"{PROVIDER}:migrate",
                    kind=OnChainKind.NEW_POOL,
                    signature=signature,
                    wallet=str(f["user"]),
                    amount_tokens=float(int(f["mint_amount"])),
                    amount_lamports=int(f["sol_amount"]),  # the SOL side the new pool opens with
                )
            )
    return out
