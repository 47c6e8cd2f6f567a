"""The layering holds (.importlinter): stages above core above the wire messages; core and streams
pure (no Faust, Kafka client or HTTP); the signer standing alone. A new import across a layer
fails here with the import chain that crosses it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(exe), str(REPO / ".importlinter")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout
