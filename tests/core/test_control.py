"""The kill switch's one meaning (memesnipe.core.control), as ONE table run against every reader:
the pure fold, the signer's KillState, the risk gate's ControlPlane, the router's and the
position manager's (and portfolio monitor's) KillSwitchView, the cockpit's control and panel,
and the CLI's status line. Every reader must give the same answer for every row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from memesnipe.core.control import KillFold, fold_kill
from memesnipe.streams.codec import encode
from memesnipe.streams.control import KillSwitch

TS = datetime(2026, 1, 1, tzinfo=UTC)
G = b"global"


def ks(active: bool, reason: str, flatten: bool = False) -> bytes:
    return encode(KillSwitch(active=active, ts=TS, by="ops", reason=reason, flatten=flatten))


ON = ks(True, "halt", flatten=True)
OFF = ks(False, "all clear")
DEEP = b'{"active":false,"ts":"2026-01-01T00:00:00Z","by":"x","reason":' + b"[" * 5000 + b"}"
WRONG_SCHEMA = b'{"active":"nope","ts":"2026-01-01T00:00:00Z"}'
FUTURE_VERSION = msgspec.json.encode(
    {"v": 99, "active": False, "ts": "2026-01-01T00:00:00Z", "by": "x", "reason": "y"}
)
BEFORE_2020 = ks(False, "old").replace(b"2026-01-01", b"2001-01-01")

Rec = tuple[bytes | None, bytes | None, int, int]  # key, value, partition, offset


def log(*items: tuple[bytes | None, bytes | None]) -> list[Rec]:
    """Records at offsets 0, 1, ... of partition 0."""
    return [(k, v, 0, i) for i, (k, v) in enumerate(items)]


@dataclass(frozen=True)
class Row:
    name: str
    records: list[Rec]
    active: bool
    flatten: bool = False  # a readable active record asked to flatten
    read_to_end: bool = True


# fmt: off
TABLE = [
    Row("not read to its end: ON (not ready)", [], True, read_to_end=False),
    Row("on, not yet read to its end: ON, no flatten", log((G, ON)), True, read_to_end=False),
    Row("off, not yet read to its end: still ON", log((G, OFF)), True, read_to_end=False),
    Row("empty topic read to its end: OFF (never set)", [], False),
    Row("on", log((G, ON)), True, flatten=True),
    Row("off", log((G, OFF)), False),
    Row("on then off", log((G, ON), (G, OFF)), False),
    Row("off then on", log((G, OFF), (G, ON)), True, flatten=True),
    Row("unreadable (not JSON)", log((G, b"{not json")), True),
    Row("deep nesting (RecursionError class)", log((G, DEEP)), True),
    Row("wrong schema", log((G, WRONG_SCHEMA)), True),
    Row("unknown schema version", log((G, FUTURE_VERSION)), True),
    Row("event time before the floor", log((G, BEFORE_2020)), True),
    Row("off then unreadable", log((G, OFF), (G, b"\xff\xfe")), True),
    Row("unreadable then off", log((G, b"{"), (G, OFF)), False),
    Row("tombstone", log((G, None)), True),
    Row("on then tombstone: ON, no flatten", log((G, ON), (G, None)), True),
    Row("off then tombstone: ON (state unknown)", log((G, OFF), (G, None)), True),
    Row("tombstone then off: OFF (explicit resume)", log((G, None), (G, OFF)), False),
    Row("wrong key only: ignored, never set", log((b"other", ON)), False),
    Row("on then off under a wrong key: ON", log((G, ON), (b"other", OFF)), True, flatten=True),
    Row("off then unreadable under a wrong key: OFF", log((G, OFF), (b"x", b"{bad")), False),
    Row("no key: ignored", log((None, ON)), False),
    Row("re-delivered older record after a newer one: ignored", [(G, ON, 0, 5), (G, OFF, 0, 3)], True,
        flatten=True),
    Row("two partitions: the higher partition's record is the latest", [(G, OFF, 1, 0), (G, ON, 0, 7)],
        False),
]
# fmt: on


# ------------------------------------------------------------------ every reader, real code path


def pure_fold(row: Row) -> tuple[bool, bool]:
    st = fold_kill(row.records, read_to_end=row.read_to_end)
    return st.active, st.flatten


def signer(row: Row) -> tuple[bool, bool]:
    from memesnipe.signer.killswitch import KillState

    st = KillState() if row.read_to_end else KillState.loading()  # KillState(): what the worker builds
    for key, value, partition, offset in row.records:
        st.apply(value, key=key, partition=partition, offset=offset)
    return st.active, st.status.flatten


def risk_gate(row: Row) -> tuple[bool, bool]:
    from memesnipe.core.risk import check_kill_switch
    from memesnipe.tables.risk import ControlPlane

    cp = ControlPlane()
    handle = cp.handlers()["killswitch"]
    for key, value, partition, offset in row.records:
        handle(key, value, partition, offset, 0)
    if row.read_to_end:
        cp.read_to_end()
    ks_msg = cp.kill_switch()  # what the gate passes to its rules
    refused = ks_msg is not None and check_kill_switch(ks_msg.active, ks_msg.reason) is not None
    assert refused == cp.kill_active
    return refused, cp.kill_status.flatten


def _fed_view(row: Row) -> Any:
    from memesnipe.tables.control import KillSwitchView

    view = KillSwitchView(["127.0.0.1:1"], "t.killswitch")  # never started: fed as its consumer would
    handle = view.view.handlers["t.killswitch"]
    for key, value, partition, offset in row.records:
        handle(key, value, partition, offset, 0)
    if row.read_to_end:
        for fn in view.view.on_ready:
            fn()
    return view


def router(row: Row, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, bool]:
    from memesnipe.agents import router as mod

    monkeypatch.setattr(mod, "kill_view", _fed_view(row))
    active, _why = mod.kill_switch_active()
    return active, mod.kill_view.status.flatten


def position_manager(row: Row, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, bool]:
    from memesnipe.agents import position_manager as mod

    view = _fed_view(row)
    monkeypatch.setattr(mod, "kill_view", view)
    flatten = mod.FlattenLookup(view)() != ""
    sweep = mod.kill_view.status.message  # what the flatten sweep reads
    assert flatten == (sweep is not None and mod.flatten_reason(sweep) != "")
    return view.status.active, flatten


def portfolio_monitor(row: Row, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, bool]:
    from memesnipe.agents import portfolio_monitor as mod

    view = _fed_view(row)
    monkeypatch.setattr(mod, "kill_view", view)
    return view.status.active, view.status.flatten


def web(row: Row) -> tuple[bool, bool]:
    from memesnipe.settings import get_settings
    from memesnipe.web.cockpit import kill_view_state
    from memesnipe.web.control import KillSwitchControl

    c = KillSwitchControl(get_settings())
    for key, value, partition, offset in row.records:
        c.apply(key, value, partition, offset, 1_767_225_600_000)
    if row.read_to_end:
        c.mark_read_to_end()
    panel = kill_view_state(c.status)
    assert panel.known == row.read_to_end
    assert panel.active == c.status.active
    return panel.active, panel.flatten


def cli_status(row: Row) -> tuple[bool, bool]:
    from memesnipe.cli.control import describe

    line = describe(_fed_view(row).status)  # read_kill_switch's view, then the printed line
    on = "kill switch: ON" in line or "UNKNOWN, treated as ON" in line
    assert on != ("off (trading allowed)" in line or "never set (trading allowed)" in line), line
    return on, "flatten requested" in line


READERS: dict[str, Callable[..., tuple[bool, bool]]] = {
    "fold": pure_fold,
    "signer": signer,
    "risk_gate": risk_gate,
    "router": router,
    "position_manager": position_manager,
    "portfolio_monitor": portfolio_monitor,
    "web": web,
    "cli": cli_status,
}


@pytest.mark.parametrize("row", TABLE, ids=[r.name for r in TABLE])
def test_every_reader_gives_the_tables_answer(row: Row, monkeypatch: pytest.MonkeyPatch) -> None:
    got = {}
    for name, reader in READERS.items():
        needs_patch = "monkeypatch" in reader.__code__.co_varnames[: reader.__code__.co_argcount]
        got[name] = reader(row, monkeypatch) if needs_patch else reader(row)
    want = (row.active, row.flatten)
    assert got == dict.fromkeys(READERS, want), f"{row.name}: want (active, flatten) = {want}"


# ------------------------------------------------------------------------------ the fold itself


def test_the_reason_names_the_unreadable_record_and_it_is_counted() -> None:
    fold = KillFold(read_to_end=True)
    fold.apply(G, OFF, 0, 0)
    fold.apply(b"other", ON, 0, 1)
    fold.apply(G, DEEP, 2, 9)
    st = fold.status
    assert st.active and st.source == "unreadable" and st.position == (2, 9)
    assert st.reason.startswith("undecodable killswitch message at [2]@9: JSON nests deeper than")
    assert (fold.ignored_keys, fold.unreadable) == (1, 1)
    assert st.as_message() is not None and st.as_message().active  # type: ignore[union-attr]


def test_a_tombstone_says_how_to_resume_and_never_flattens() -> None:
    st = fold_kill(log((G, ON), (G, None)))
    assert st.active and st.source == "tombstone" and not st.flatten
    assert "state unknown" in st.reason and "active=false" in st.reason


def test_not_ready_and_never_set_are_distinct_answers() -> None:
    assert fold_kill([], read_to_end=False).describe().startswith("kill switch: UNKNOWN, treated as ON")
    assert fold_kill([]).describe() == "kill switch: never set (trading allowed)"
    assert fold_kill([]).as_message() is None
    off = fold_kill(log((G, OFF)))
    assert off.as_message() == msgspec.json.decode(OFF, type=KillSwitch)
    assert off.describe().startswith(
        "kill switch: off (trading allowed); by ops at 2026-01-01T00:00:00+00:00"
    )


def test_the_answer_changes_are_reported_once() -> None:
    fold = KillFold()
    assert fold.apply(G, ON, 0, 0) is False  # not ready yet: the answer stays "not ready"
    assert fold.mark_read_to_end() is True
    assert fold.apply(G, ON, 0, 0) is False and fold.stale == 1  # the same record again
    assert fold.apply(G, OFF, 0, 1) is True
