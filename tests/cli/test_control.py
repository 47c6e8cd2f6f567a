"""``memesnipe kill`` / ``resume`` / ``killswitch`` against the real broker: who and why are
recorded on the killswitch topic and read back; empty who/why is refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from memesnipe.streams.codec import decode
from memesnipe.streams.control import KillSwitch
from tests.support.kafka import REPO, IsolatedEnv, consume


def cli(env: IsolatedEnv, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memesnipe", *args],
        env=env.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.integration
async def test_kill_then_resume_records_who_and_why(isolated_env: IsolatedEnv) -> None:
    r = cli(isolated_env, "killswitch")
    assert r.returncode == 0 and "never set" in r.stdout, r.stderr
    r = cli(isolated_env, "kill", "--by", "alice", "--reason", "exchange incident #42", "--flatten")
    assert r.returncode == 0, r.stderr
    assert "ON (entries paused, exits allowed); flatten requested; by alice" in r.stdout
    r = cli(isolated_env, "resume", "--by", "bob", "--reason", "incident closed")
    assert r.returncode == 0 and "off (trading allowed)" in r.stdout and "by bob" in r.stdout, r.stderr
    recs = await consume(isolated_env.bootstrap, isolated_env.topic("killswitch"), min_count=2, timeout_s=30)
    got = [(x.key, decode(x.value, KillSwitch)) for x in recs]
    assert [(k, s.active, s.by, s.reason, s.flatten) for k, s in got] == [
        (b"global", True, "alice", "exchange incident #42", True),
        (b"global", False, "bob", "incident closed", False),
    ]
    assert "by bob" in cli(isolated_env, "killswitch").stdout


def test_who_and_why_are_required(tmp_path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "memesnipe", "kill", "--by", "alice"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "--reason" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "memesnipe", "resume", "--by", "  ", "--reason", "x"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "--by must not be empty" in r.stderr
