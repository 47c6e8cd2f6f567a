"""The journal: exact recovery after restart and crash, fail-closed on corruption, one owner."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from memesnipe.signer.journal import Journal, JournalError, JournalLine
from memesnipe.signer.signing import SigningService
from memesnipe.streams.execution import ExecutionStatus
from tests.signer.conftest import DAILY_CAP, PER_TX_CAP
from tests.signer.helpers import T0, paper_ixs, request, unsigned_tx, wire


def line(rid: str, spend: int = 0, day: str = "2026-11-25", status: str = "signed") -> JournalLine:
    return JournalLine(
        request_id=rid, hmac="h" + rid, day=day, spend=spend, status=status, result=f'{{"id":"{rid}"}}'
    )


def test_flushed_lines_are_recovered_exactly(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    j.record(line("a", 5))
    j.record(line("b", 7, status="refused"))
    j.record(line("c", 11, day="2026-11-26"))
    assert j.spent("2026-11-25") == 12  # booked in memory before the flush
    j.flush()
    j.close()
    j = Journal(path)
    assert len(j) == 3
    assert (j.spent("2026-11-25"), j.spent("2026-11-26")) == (12, 11)
    entry = j.get("b")
    assert entry is not None and entry.status == "refused" and entry.hmac == "hb"
    assert j.result_bytes(entry) == b'{"id":"b"}'
    assert os.stat(path).st_mode & 0o777 == 0o600
    j.close()


def test_unflushed_lines_are_gone_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    j.record(line("a", 5))
    j.flush()
    j.record(line("b", 7))  # decided, never fsync'd, so never published
    j.close()  # the crash: pending lines are dropped
    j = Journal(path)
    assert j.get("a") is not None and j.get("b") is None and j.spent("2026-11-25") == 5
    j.close()


def test_torn_tail_is_cut_and_appending_continues(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    j.record(line("a", 5))
    j.flush()
    j.close()
    good = path.stat().st_size
    with open(path, "ab") as fh:
        fh.write(b'{"request_id":"b","hm')  # power cut mid-write
    j = Journal(path)
    assert path.stat().st_size == good and j.get("b") is None
    j.record(line("b", 1))
    j.flush()
    j.close()
    j = Journal(path)
    assert j.get("b") is not None and j.spent("2026-11-25") == 6
    j.close()


def test_corrupt_line_in_the_middle_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    j.record(line("a"))
    j.record(line("b"))
    j.flush()
    j.close()
    data = path.read_bytes().split(b"\n")
    path.write_bytes(data[0][:-3] + b"\n" + data[1] + b"\n")
    with pytest.raises(JournalError, match="line 1 is corrupt"):
        Journal(path)


def test_a_second_signer_cannot_open_the_same_journal(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    with pytest.raises(JournalError, match="another signer"):
        Journal(tmp_path / "j.jsonl")
    j.close()
    Journal(tmp_path / "j.jsonl").close()


def test_recording_an_id_twice_is_a_bug_not_a_silent_overwrite(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    j.record(line("a"))
    with pytest.raises(JournalError, match="already journaled"):
        j.record(line("a"))
    j.close()


def test_restarted_service_answers_from_the_journal_and_keeps_the_days_spend(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    me = svc.cfg.wallet
    reqs = [
        wire(request(unsigned_tx(me, paper_ixs(me, memo=str(i).encode())), spend=PER_TX_CAP))
        for i in range(3)
    ]
    firsts = [svc.handle(r) for r in reqs]
    assert [o.status for o in firsts] == [ExecutionStatus.SIGNED] * 3
    svc.journal.flush()

    svc = make_service()  # restart: a new process over the same journal
    again = [svc.handle(r) for r in reqs]
    assert [o.value for o in again] == [o.value for o in firsts]
    assert all(o.replayed for o in again) and svc.stats.signed == 0
    # The day's 3 SOL are remembered: the cap (3 SOL) refuses any further entry today...
    more = svc.handle(wire(request(unsigned_tx(me, paper_ixs(me, memo=b"x")), spend=20_000)))
    assert more.status is ExecutionStatus.REFUSED and more.reason.startswith("daily cap")
    assert svc.journal.spent(svc.clock().date().isoformat()) == DAILY_CAP


def test_daily_cap_resets_on_the_next_utc_day(make_service: Callable[..., SigningService]) -> None:
    now = [T0]
    svc = make_service(clock=lambda: now[0], max_age_s=0)  # a simulated clock: no age check
    me = svc.cfg.wallet

    def entry(tag: str) -> ExecutionStatus:
        return svc.handle(
            wire(request(unsigned_tx(me, paper_ixs(me, memo=tag.encode())), spend=PER_TX_CAP))
        ).status

    assert [entry(f"d1-{i}") for i in range(4)] == [ExecutionStatus.SIGNED] * 3 + [ExecutionStatus.REFUSED]
    now[0] = T0 + timedelta(hours=12)  # 00:00 UTC next day
    assert entry("d2-0") is ExecutionStatus.SIGNED
