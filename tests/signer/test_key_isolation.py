"""The key stays in the signer: no other MemeSnipe process opens the key file, and no log line
of a signing run contains the key in any encoding.

How "no other process opens it" is proved: every process under test runs under a Python audit
hook (tests/signer/audit_open.py) that records each open() of the key paths (builtins.open,
io.open and os.open all raise the "open" audit event), and while the Faust worker runs the test
also scans its /proc/<pid>/fd links, which catches opens from C code too. The signer, run the
same way, is the positive control: the hook does see it open its key.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest
from solders.keypair import Keypair

from memesnipe.signer.keystore import load_paper_keypair, paper_key_path
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from tests.signer.helpers import MINT, SECRET, paper_ixs, request, unsigned_tx, wire
from tests.support.kafka import REPO, IsolatedEnv, Process, consume, create_topics, free_port, produce


def key_forms(kp: Keypair) -> list[bytes]:
    """Every way the secret could plausibly be printed."""
    full, seed = bytes(kp), bytes(kp)[:32]
    forms: list[str] = [str(kp)]  # base58 of the 64-byte keypair (what solana-keygen shows)
    for b in (seed, full):
        forms += [
            b.hex(),
            b.hex().upper(),
            base64.b64encode(b).decode(),
            base64.urlsafe_b64encode(b).decode(),
            json.dumps(list(b)),
            str(list(b)),
        ]
    from solders.pubkey import Pubkey  # base58 of the 32-byte seed via the same alphabet

    forms.append(str(Pubkey.from_bytes(seed)))
    out = [f.encode() for f in forms]
    out += [", ".join(map(str, seed[:12])).encode(), ",".join(map(str, seed[:12])).encode(), seed]
    return out


def audit_env(env: IsolatedEnv, watch: list[Path], log: Path) -> dict[str, str]:
    e = env.env
    e.update(
        AUDIT_OPEN_WATCH=os.pathsep.join(str(p) for p in watch),
        AUDIT_OPEN_LOG=str(log),
        MEMESNIPE_HMAC_SECRET=SECRET,
        MEMESNIPE_WEB_PORT=str(free_port()),
    )
    return e


def open_fds(pid: int) -> set[str]:
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                out.add(os.path.realpath(os.readlink(f"/proc/{pid}/fd/{fd}")))
    except OSError:
        pass
    return out


@pytest.mark.integration
async def test_no_process_but_the_signer_opens_the_key(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env)
    paper_key = paper_key_path(env.data_dir, None)
    load_paper_keypair(paper_key)  # created up front, 0600, as the signer would
    live_key = env.data_dir / "keys" / "wallet.json"
    live_key.parent.mkdir(mode=0o700)
    live_key.write_text(json.dumps(list(bytes(Keypair()))))
    os.chmod(live_key, 0o600)
    watch = [paper_key, live_key]
    hits = env.data_dir / "opens.log"
    hits.touch()

    # Positive control: the signer opens its key, and the hook sees it.
    signer = Process(
        ["tests.signer.audit_open", "memesnipe.signer"], audit_env(env, watch, hits), env.data_dir / "s.log"
    )
    try:
        signer.wait_for("signer ready", timeout_s=60)
    finally:
        signer.stop()
    signer_hits = hits.read_text().split()
    assert str(signer.proc.pid) in signer_hits and str(paper_key.resolve()) in signer_hits

    # The pipeline: every other module imported, then the Faust worker (all agents, router
    # included) running against the broker with the live key path in its environment.
    hits.write_text("")
    e = audit_env(env, watch, hits)
    e["MEMESNIPE_SIGNER__KEY_PATH"] = str(live_key)
    imp = subprocess.run(
        [sys.executable, "-m", "tests.signer.audit_open", "tests.signer.import_everything"],
        env=e,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imp.returncode == 0, imp.stderr[-3000:]
    assert "imported" in imp.stdout
    worker = Process(
        ["tests.signer.audit_open", "memesnipe", "worker", "-l", "info", "--without-web"],
        e,
        env.data_dir / "w.log",
    )
    seen: set[str] = set()
    try:
        worker.wait_for("Ready", timeout_s=240)  # a loaded shared machine starts Faust slowly
        me = load_paper_keypair(paper_key).pubkey()  # the test, not the worker, reads it
        await produce(
            env.bootstrap,
            env.topic("exec_requests"),
            [(MINT.encode(), wire(request(unsigned_tx(me, paper_ixs(me)), spend=20_000)))],
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            seen |= open_fds(worker.proc.pid)
            time.sleep(0.1)
    finally:
        worker.stop()
    assert hits.read_text() == "", f"key opened outside the signer: {hits.read_text()}"
    assert not {str(p.resolve()) for p in watch} & seen
    assert seen, "the fd scan saw nothing: it did not run"
    # The key files are the signer's alone: 0600 and owned by the signer's user.
    for p in watch:
        st = os.stat(p)
        assert st.st_mode & 0o777 == 0o600 and st.st_uid == os.geteuid()


@pytest.mark.integration
async def test_no_log_line_of_a_signing_run_contains_the_key(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env)
    e = env.env
    e.update(MEMESNIPE_HMAC_SECRET=SECRET, MEMESNIPE_LOG_LEVEL="DEBUG")
    signer = Process(["memesnipe.signer"], e, env.data_dir / "signer.log")
    try:
        signer.wait_for("signer ready", timeout_s=60)
        kp = load_paper_keypair(paper_key_path(env.data_dir, None))
        me = kp.pubkey()
        good = [
            request(unsigned_tx(me, paper_ixs(me, memo=f"o{i}".encode())), spend=20_000) for i in range(20)
        ]
        bad = [request(unsigned_tx(me, paper_ixs(me)), spend=1)]  # refused: spend too low
        records = [(MINT.encode(), wire(r)) for r in [*good, *bad]] + [(b"k", b"\x00garbage")]
        await produce(env.bootstrap, env.topic("exec_requests"), records)
        recs = await consume(env.bootstrap, env.topic("exec_results"), min_count=len(records), idle_s=1.0)
    finally:
        signer.stop()
    results = [msgspec.json.decode(r.value, type=ExecutionResult) for r in recs]
    signed = [r for r in results if r.status is ExecutionStatus.SIGNED]
    assert len(signed) == 20
    log = signer.log.read_bytes()
    assert b'"msg": "signed"' in log and b"DEBUG" in log  # DEBUG really was on: the strictest case
    for form in key_forms(kp):
        assert form not in log, "the signer's log contains the key"
    for r in signed:
        assert r.signed_tx_b64.encode() not in log  # signed transactions go to Kafka, not to logs
