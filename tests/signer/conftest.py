"""Fixtures for signer tests: a policy, a journal, a signing service with a fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from solders.keypair import Keypair

from memesnipe.settings import SIGNER_PROGRAM_ALLOWLIST, SIGNER_TIP_ACCOUNTS
from memesnipe.signer.journal import Journal
from memesnipe.signer.keystore import SealedKey
from memesnipe.signer.policy import PolicyConfig
from memesnipe.signer.signing import SigningService
from memesnipe.streams.base import utcnow
from tests.signer.helpers import SECRET

PER_TX_CAP = 1_000_000_000
DAILY_CAP = 3_000_000_000


def policy_for(key: SealedKey, **over: int | float) -> PolicyConfig:
    """The test policy: small entry caps; any other PolicyConfig cap by its field name."""
    return PolicyConfig.build(
        key.pubkey,
        tip_accounts=SIGNER_TIP_ACCOUNTS.split(","),
        programs=SIGNER_PROGRAM_ALLOWLIST.split(","),
        per_tx_cap_lamports=int(over.pop("per_tx_cap", PER_TX_CAP)),
        daily_cap_lamports=int(over.pop("daily_cap", DAILY_CAP)),
        **over,
    )


@pytest.fixture
def keypair() -> Keypair:
    return Keypair()


@pytest.fixture
def key(keypair: Keypair) -> SealedKey:
    return SealedKey(keypair)


@pytest.fixture
def make_service(key: SealedKey, tmp_path: Path) -> Iterator[Callable[..., SigningService]]:
    """Factory: a SigningService over a journal in tmp_path (re-opened = a restart)."""
    opened: list[Journal] = []

    def _make(
        *,
        paper: bool = True,
        path: Path | None = None,
        clock=utcnow,
        max_age_s: float = 120.0,
        **caps: int,
    ) -> SigningService:
        for j in opened:
            j.close()
        journal = Journal(path or tmp_path / "journal.jsonl")
        opened.append(journal)
        return SigningService(
            key, policy_for(key, **caps), SECRET, journal, paper=paper, clock=clock, max_age_s=max_age_s
        )

    yield _make
    for j in opened:
        j.close()
