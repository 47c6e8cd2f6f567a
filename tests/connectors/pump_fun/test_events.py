"""pump.fun discovery events: real recorded events decode to the values their recorders asserted
(an independent decoder), layouts match the published IDL, spoofed and failed ones yield nothing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memesnipe.connectors.pump_fun.events import (
    COMPLETE_EVENT,
    CREATE_EVENT,
    MIGRATION_EVENT,
    PUMP_PROGRAM,
    TOKEN_2022_PROGRAM,
    ZERO_KEY,
    EventDecodeError,
    decode_event,
    discriminator,
)
from memesnipe.connectors.pump_fun.parse import parse_logs
from memesnipe.streams.market import OnChainKind
from memesnipe.streams.watchlist import DiscoveryOrigin

FIX = Path(__file__).resolve().parents[2] / "fixtures"
EV = json.loads((FIX / "pump_fun" / "events.json").read_text())
IDL = json.loads((FIX / "pump_fun" / "idl_events.json").read_text())
NOTE = json.loads((FIX / "solana_ws" / "logsNotification_pump_create.json").read_text())


def decoded(data_b64: str) -> tuple[str, dict]:
    out = decode_event(base64.b64decode(data_b64))
    assert out is not None
    return out


def logs(ix: str, data: str, program: str = PUMP_PROGRAM) -> list[str]:
    return [f"Program {program} invoke [1]", f"Program log: Instruction: {ix}", f"Program data: {data}",
            f"Program {program} success"]  # fmt: skip


@pytest.mark.parametrize("layout", [CREATE_EVENT, COMPLETE_EVENT, MIGRATION_EVENT])
def test_layouts_and_discriminators_are_the_published_idls(layout) -> None:
    idl_types = {t["name"]: t["type"]["fields"] for t in IDL["types"]}
    idl_discs = {e["name"]: bytes(e["discriminator"]) for e in IDL["events"]}
    assert IDL["address"] == PUMP_PROGRAM
    assert [(f["name"], f["type"]) for f in idl_types[layout.name]] == layout.fields()
    assert idl_discs[layout.name] == layout.disc == discriminator(layout.name)


def test_a_real_create_v2_is_a_token_2022_launch() -> None:
    name, f = decoded(EV["create_v2"]["data"])
    assert name == "CreateEvent"
    assert (f["name"], f["symbol"]) == ("100k", "100k")
    assert f["mint"] == "3xM2iMg4RZBuzdFpvwYab9cUaVpniuHgLUZRg33ipump"
    assert f["bonding_curve"] == "113P6U1rwkHf69wyGT4qc9JNJfW1fXrKHYsU2Yy4goF"
    assert f["creator"] == "Acp2tKDySe79AsxokjeEy7VdrvWD8bR4V9rLSFkvo6sx"
    assert (
        f["virtual_token_reserves"] == 1_073_000_000_000_000 and f["virtual_sol_reserves"] == 30_000_000_000
    )
    assert f["real_token_reserves"] == 793_100_000_000_000 and f["token_total_supply"] == 10**15
    assert f["token_program"] == TOKEN_2022_PROGRAM
    assert f["is_mayhem_mode"] is False and f["is_cashback_enabled"] is False

    d = parse_logs(EV["create_v2"]["signature"], logs("CreateV2", EV["create_v2"]["data"]))
    (c,) = d.candidates
    assert c.origin is DiscoveryOrigin.PUMP_CREATE and c.source == "pump_fun:create_v2"
    assert c.token_program == TOKEN_2022_PROGRAM and c.created_at == c.ts
    assert c.ts == datetime.fromtimestamp(f["timestamp"], UTC)
    (e,) = d.events
    assert e.kind is OnChainKind.NEW_MINT and e.mint == c.mint and e.wallet == f["creator"]


def test_the_oldest_create_layout_still_decodes_from_a_recorded_notification() -> None:
    value = NOTE["params"]["result"]["value"]
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    d = parse_logs(value["signature"], value["logs"], err=value["err"], received_at=t0)
    (c,) = d.candidates  # the TradeEvent of the same transaction is not a discovery event
    assert c.mint == "DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump"
    assert c.source == "pump_fun:create"  # no token_program field: legacy SPL Token
    assert c.ts == t0  # no timestamp in this layout: the receive time stands in
    assert d.events[0].wallet == "EmLPb9Vpzj4NECQCR1nWShfxgeUjTXNzBjKXx6JiXLHp"  # user (no creator field yet)


def test_a_real_complete_and_a_real_migration() -> None:
    d = parse_logs(EV["complete"]["signature"], logs("Buy", EV["complete"]["data"]))
    (c,) = d.candidates
    assert (
        c.origin is DiscoveryOrigin.PUMP_COMPLETE and c.mint == "4yGJ5ynrB4QX7AiRps1DTAzdXwEf15NvrRF5gouEpump"
    )
    assert c.ts == datetime.fromtimestamp(1_787_337_289, UTC) and d.events == []
    _, f = decoded(EV["complete"]["data"])
    assert f["quote_mint"] == ZERO_KEY and f["user"] == "2StTWuacuBE1rfWVY9G3iXyb3WRcmf8wKbnPBBRe6iDq"

    d = parse_logs(
        EV["migrate"]["signature"],
        ["Program data: not base64 at all!!", *logs("MigrateV2", EV["migrate"]["data"])],
    )
    (c,) = d.candidates
    assert (
        c.origin is DiscoveryOrigin.PUMP_MIGRATE and c.mint == "Gu2bpydt5bHVHtko5vvsWH5KQUT3Wxvt6hzYvKdND6ur"
    )
    assert c.pool == "Vptu7kbcUHWNHKSCw1Qn1MhgP9fqKmQnTAzTqETCAs5"
    assert c.ts == datetime.fromtimestamp(1790784420, UTC)
    (e,) = d.events
    assert e.kind is OnChainKind.NEW_POOL and e.source == "pump_fun:migrate"
    _, f = decoded(EV["migrate"]["data"])
    assert round(f["sol_amount"] / 1e9, 2) == 84.99
    assert e.amount_lamports == f["sol_amount"]  # the SOL the PumpSwap pool opens with


def test_another_program_logging_pump_bytes_is_ignored_and_failed_txs_yield_nothing() -> None:
    data = EV["create_v2"]["data"]
    other = "SpooF1111111111111111111111111111111111111"
    spoof = logs("CreateV2", data, program=other)
    assert parse_logs("s", spoof).candidates == []
    # logged by a program pump.fun invoked: not pump.fun speaking either
    nested = [f"Program {PUMP_PROGRAM} invoke [1]", f"Program {other} invoke [2]",
              f"Program data: {data}", f"Program {other} success",
              f"Program {PUMP_PROGRAM} success"]  # fmt: skip
    assert parse_logs("s", nested).candidates == []
    assert (
        parse_logs("s", logs("CreateV2", data), err={"InstructionError": [3, {"Custom": 6001}]}).candidates
        == []
    )


def test_a_truncated_event_is_reported_not_guessed() -> None:
    raw = base64.b64decode(EV["migrate"]["data"])[:60]
    with pytest.raises(EventDecodeError):
        decode_event(raw)
    d = parse_logs("s", logs("MigrateV2", base64.b64encode(raw).decode()))
    assert d.candidates == [] and len(d.bad) == 1
