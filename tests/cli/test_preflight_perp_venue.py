"""``memesnipe preflight`` as a user runs it, against a local chain whose Drift v2 State account
says fills are paused (the State built by driftpy's coder, tests/fixtures/drift/SOURCE.md, set in
LiteSVM under Drift's program): the perp venue line is printed as WARN with the flag and the
degrade, and the rest of preflight still passes (longs trade on). RPC and block engine are the
rehearsal's loopback stand-ins; the kill switch is read from the real broker."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from driftpy.addresses import get_state_public_key
from driftpy.constants.config import DRIFT_PROGRAM_ID
from solders.account import Account
from solders.keypair import Keypair

from memesnipe.rehearse.chain import LocalChain
from memesnipe.rehearse.net import LocalNet
from tests.fixtures.drift.encode import state_bytes
from tests.support.kafka import REPO, IsolatedEnv

pytestmark = pytest.mark.integration
WALLET = Keypair.from_seed(bytes(range(32))).pubkey()


@pytest.fixture
def paused_chain() -> Iterator[LocalNet]:
    chain = LocalChain()
    raw = state_bytes(exchange_status=0b0000_1000, number_of_markets=77, number_of_spot_markets=40)
    rent = chain.svm.minimum_balance_for_rent_exemption(len(raw))
    chain.svm.set_account(
        get_state_public_key(DRIFT_PROGRAM_ID),
        Account(lamports=rent, data=raw, owner=DRIFT_PROGRAM_ID, executable=False),
    )
    chain.fund(WALLET, 2 * 10**9)
    net = LocalNet.start(chain=chain, slot_s=0.05)
    try:
        yield net
    finally:
        net.stop()


def test_preflight_prints_a_paused_perp_venue_as_a_warning(
    isolated_env: IsolatedEnv, paused_chain: LocalNet, tmp_path: Path
) -> None:
    key = tmp_path / "wallet.json"
    key.write_text("[]")
    key.chmod(0o600)
    env = {
        **isolated_env.env,
        **paused_chain.env(),
        "MEMESNIPE_MODE": "live",
        "MEMESNIPE_LIVE_CONFIRM": "I-ACCEPT-REAL-MONEY-RISK",
        "MEMESNIPE_SIGNER__WALLET_PUBKEY": str(WALLET),
        "MEMESNIPE_SIGNER__KEY_PATH": str(key),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "memesnipe", "preflight"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = proc.stdout
    print(out)  # the captured output, as the user sees it
    state = get_state_public_key(DRIFT_PROGRAM_ID)
    [venue] = [line for line in out.splitlines() if "perp venue" in line]
    assert venue.startswith("  [WARN] perp venue drift-v2")
    assert f"NOT LIVE: paused (exchange_status 0x08: FillPaused); State {state}" in venue
    assert venue.endswith("short theses degrade to exit longs and block entries")
    assert "preflight PASSED" in out, (out, proc.stderr[-2000:])  # a paused venue fails nothing
    assert proc.returncode == 0
