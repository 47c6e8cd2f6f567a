"""End to end: ``memesnipe rehearse`` runs the LIVE pipeline (worker + isolated signer, live mode,
a throwaway key) against the local chain and its stand-ins for a few round trips; orders land
on the chain, and the books (positions, fills) equal the wallet's balances there, to the
lamport, with the reconciler beside it. The issue's 50-round-trip run: ``memesnipe rehearse``
(its default)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.integration
def test_a_short_rehearsal_lands_round_trips_and_the_books_equal_the_chain(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    out = tmp_path / "summary.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env["MEMESNIPE_KAFKA__BROKER"] = f"kafka://{kafka_bootstrap}"
    proc = subprocess.run(
        [sys.executable, "-m", "memesnipe", "rehearse", "--round-trips", "2", "--duration", "150",
         "--json", str(out)],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    s = json.loads(out.read_text())
    assert s["completed"] >= 1, s
    assert s["landed"] >= 2 and s["fills"] == s["landed"], s
    assert s["token_mismatches"] == {}, s
    assert s["sol"]["unexplained"] == 0, s
    # each new token account's rent is booked apart from the price, and equals what the chain holds
    assert s["sol"]["rent_booked"] == s["sol"]["rent_in_token_accounts"] > 0, s
    assert s["landed_not_booked"] == s["booked_not_landed"] == s["booked_twice"] == [], s
    # the reconciler ran beside it, read the wallet and had nothing to adopt
    assert s["reconciler"]["readings"] >= 1 and s["reconciler"]["adopted"] == [], s
    assert s["pnl_lamports"]["bought"] > 0, s
    assert proc.returncode == 0, proc.stdout[-2000:]
