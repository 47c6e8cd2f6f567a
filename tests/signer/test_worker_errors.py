"""The worker's per-request guard: a bug on one request refuses it (fail closed, dead-lettered)
instead of crash-looping the whole signer on that record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from aiokafka import TopicPartition

from memesnipe.settings import load_settings
from memesnipe.signer.signing import SigningService
from memesnipe.signer.worker import SignerWorker
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from tests.signer.helpers import MINT, paper_ixs, request, unsigned_tx, wire


def test_a_bug_refuses_the_request_and_dead_letters_it(
    make_service: Callable[..., SigningService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = make_service()
    worker = SignerWorker(load_settings(data_dir=tmp_path), svc)
    raw = wire(request(unsigned_tx(svc.cfg.wallet, paper_ixs(svc.cfg.wallet)), spend=20_000))

    def boom(*a: object, **k: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(svc, "_decide", boom)
    out = worker._handle(raw, MINT.encode(), TopicPartition("t.exec_requests", 1), 42)
    res = msgspec.json.decode(out.value, type=ExecutionResult)
    assert res.status is ExecutionStatus.REFUSED and res.reason == "internal error: KeyError"
    assert res.request_id and res.mint == MINT and res.signed_tx_b64 == ""
    assert out.deadletter is not None and b'"offset":42' in out.deadletter
    assert len(svc.journal) == 0  # nothing decided, so the id is not burnt
