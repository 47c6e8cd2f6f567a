"""The cockpit reads the killswitch topic exactly as the risk gate does."""

from __future__ import annotations

from datetime import UTC, datetime

from memesnipe.streams import KillSwitch
from memesnipe.streams.codec import encode
from memesnipe.web.control import KILLSWITCH_KEY, KillSwitchControl, bootstrap_servers

TS = datetime(2026, 1, 1, tzinfo=UTC)


def kill(active: bool, reason: str = "r") -> bytes:
    return encode(KillSwitch(active=active, ts=TS, by="ops", reason=reason))


def test_latest_global_record_wins_tombstone_clears_unreadable_turns_it_on() -> None:
    seen: list[KillSwitch | None] = []
    c = KillSwitchControl("127.0.0.1:9092", "t.killswitch")
    c.on_change(seen.append)
    c.apply(KILLSWITCH_KEY, kill(True, "dd"), 0)
    assert c.state is not None and c.state.active and c.state.reason == "dd"
    c.apply(b"other", kill(False), 0)  # the risk gate ignores other keys: so does the cockpit
    assert c.state.active
    c.apply(KILLSWITCH_KEY, kill(False, "ok"), 0)
    assert c.state is not None and not c.state.active
    c.apply(KILLSWITCH_KEY, b"{not json", 1_700_000_000_000)
    assert c.state is not None and c.state.active and "unreadable" in c.state.reason
    c.apply(KILLSWITCH_KEY, None, 0)
    assert c.state is None
    assert [s.active if s else None for s in seen] == [True, False, True, None]


def test_broker_urls_become_aiokafka_bootstrap_servers() -> None:
    assert bootstrap_servers("kafka://a:9092;kafka://b:9093") == "a:9092,b:9093"
