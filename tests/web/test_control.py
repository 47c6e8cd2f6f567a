"""The cockpit reads the killswitch topic with the one fold every stage uses (core.control);
the full meaning table runs against it in tests/core/test_control.py."""

from __future__ import annotations

from datetime import UTC, datetime

from memesnipe.core.control import KillStatus
from memesnipe.settings import get_settings
from memesnipe.streams import KillSwitch
from memesnipe.streams.codec import encode
from memesnipe.web.cockpit import kill_view_state
from memesnipe.web.control import KILLSWITCH_KEY, KillSwitchControl

TS = datetime(2026, 1, 1, tzinfo=UTC)


def kill(active: bool, reason: str = "r") -> bytes:
    return encode(KillSwitch(active=active, ts=TS, by="ops", reason=reason))


def test_each_new_answer_is_reported_and_the_panel_is_unknown_until_read_to_the_end() -> None:
    seen: list[KillStatus] = []
    c = KillSwitchControl(get_settings())
    c.on_change(seen.append)
    c.apply(KILLSWITCH_KEY, kill(True, "dd"), 0, 0, 0)
    assert seen == [] and not kill_view_state(c.status).known and kill_view_state(c.status).active
    c.mark_read_to_end()
    c.apply(b"other", kill(False), 0, 1, 0)  # ignored, like every stage does
    c.apply(KILLSWITCH_KEY, kill(False, "ok"), 0, 2, 0)
    c.apply(KILLSWITCH_KEY, b"{not json", 0, 3, 1_700_000_000_000)
    c.apply(KILLSWITCH_KEY, None, 0, 4, 0)
    assert [(s.active, s.source) for s in seen] == [
        (True, "record"),
        (False, "record"),
        (True, "unreadable"),
        (True, "tombstone"),
    ]
    panel = kill_view_state(c.status)
    assert panel.known and panel.active and "tombstone" in panel.reason
