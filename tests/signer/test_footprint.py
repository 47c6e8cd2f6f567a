"""The signer's dependency footprint: Kafka client, solders, libsodium, msgspec, settings."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.kafka import REPO

FORBIDDEN = {
    "faust",
    "mode",
    "httpx",
    "aiohttp",
    "requests",
    "driftpy",
    "anchorpy",
    "solana",
    "numpy",
    "pandas",
    "pyarrow",
    "chdb",
    "clickhouse_connect",
    "matplotlib",
    "prometheus_client",
}
ALLOWED = {
    "memesnipe",
    "aiokafka",
    "async_timeout",
    "packaging",
    "solders",
    "nacl",
    "msgspec",
    "pydantic",
    "pydantic_core",
    "pydantic_settings",
    "annotated_types",
    "typing_extensions",
    "typing_inspection",
    "dotenv",
    "cython_runtime",
    "_cffi_backend",
}


def test_signer_imports_nothing_beyond_its_minimal_set() -> None:
    code = (
        "import sys, json; import memesnipe.signer.worker, memesnipe.signer.__main__, memesnipe.cli.signer; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    top = set(json.loads(out.stdout)) - set(sys.stdlib_module_names)
    top = {m for m in top if not m.startswith("_") or m == "_cffi_backend"}
    assert not top & FORBIDDEN, top & FORBIDDEN
    assert top <= ALLOWED, f"new third-party imports in the signer: {sorted(top - ALLOWED)}"
