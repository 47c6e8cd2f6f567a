"""The poll loop's failure policy without a broker (the sink is never reached on these paths):
a refused key stops the connector, a provider outage is counted and the loop carries on."""

from __future__ import annotations

import httpx
import pytest

from memesnipe.connectors.dexscreener.connector import DexScreenerConnector
from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.runner import RunStats, pairs, run_connector, run_cycle
from memesnipe.settings import load_settings

POPDOG = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"


def _conn(status: int, calls: list[int]) -> DexScreenerConnector:
    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(status)
        return httpx.Response(status, text="nope")

    settings = load_settings(connectors={"mints": POPDOG, "dexscreener_interval_s": 0.01})
    return DexScreenerConnector(settings, transport=httpx.MockTransport(handler))


async def test_a_refused_key_stops_the_connector() -> None:
    calls: list[int] = []
    with pytest.raises(SystemExit, match="refused our credentials"):
        await run_cycle(_conn(401, calls), Publisher(load_settings()), RunStats())
    assert calls == [401]  # no retry on 4xx


async def test_an_outage_is_counted_and_the_loop_continues() -> None:
    calls: list[int] = []
    conn = _conn(503, calls)
    conn.client.http.retry.base_delay_s = 0.001
    stats = await run_connector(conn, Publisher(load_settings()), max_cycles=2)
    assert (stats.cycles, stats.fetch_errors, stats.events) == (0, 2, 0)
    assert len(calls) == 2 * conn.client.http.retry.attempts  # retried inside each cycle


def test_pairs_setting_parser() -> None:
    assert pairs("A=1, B = 2,") == {"A": "1", "B": "2"}
    with pytest.raises(ValueError, match="key=value"):
        pairs("A=1,B")
