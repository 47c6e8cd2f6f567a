"""Every source ``memesnipe connect`` accepts resolves to a connector; a missing key stops the
real command with a message naming the setting, before any network or Kafka I/O."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from memesnipe.connectors.registry import SOURCES, create, factory
from memesnipe.connectors.runner import Connector
from memesnipe.settings import load_settings
from tests.support.kafka import REPO

USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
ALL_KEYS = {
    "mints": USDC,
    "jupiter_api_key": "j",
    "birdeye_api_key": "b",
    "helius_api_key": "h",
    "x_bearer_token": "x",
    "helius_webhook_auth": "w",
}


@pytest.mark.parametrize("source", sorted(SOURCES))
async def test_each_source_builds_a_connector_with_its_topic(source: str) -> None:
    conn = create(source, load_settings(connectors=ALL_KEYS))
    assert isinstance(conn, Connector) and conn.name and conn.interval_s > 0
    assert conn.topic in {"price", "social", "depth", "bridge", "funding", "sol_price", "onchain"}
    await conn.aclose()


def test_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(SystemExit, match="known: birdeye"):
        factory("nope")


@pytest.mark.parametrize(
    ("source", "setting"),
    [
        ("jupiter_price", "MEMESNIPE_JUPITER__API_KEY"),
        ("helius", "MEMESNIPE_CONNECTORS__HELIUS_API_KEY"),
        ("social", "MEMESNIPE_CONNECTORS__X_BEARER_TOKEN"),
        ("birdeye", "MEMESNIPE_CONNECTORS__BIRDEYE_API_KEY"),
    ],
)
def test_connect_command_stops_on_a_missing_key_naming_the_setting(
    source: str, setting: str, tmp_path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env |= {
        "MEMESNIPE_CONNECTORS__MINTS": USDC,
        "MEMESNIPE_METRICS_PORT": "0",
        "MEMESNIPE_DATA_DIR": str(tmp_path),
        "MEMESNIPE_KAFKA__BROKER": "kafka://127.0.0.1:1",
    }  # unreachable: must fail before Kafka
    proc = subprocess.run(
        [sys.executable, "-m", "memesnipe", "connect", source],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert setting in proc.stderr
