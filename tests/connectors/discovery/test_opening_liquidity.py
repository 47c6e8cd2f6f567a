"""A new pool's opening liquidity from its creation, priced at the same moment's SOL/USD."""

from __future__ import annotations

from datetime import UTC, datetime

from memesnipe.connectors.discovery.service import DiscoveryConnector
from memesnipe.connectors.solana_ws.client import LogsItem, Subscription
from memesnipe.settings import load_settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainKind, SolPriceEvent
from tests.connectors.pump_fun.test_events import decoded
from tests.connectors.solana_ws.conftest import pump_events, pump_logs

MIGRATED = "Gu2bpydt5bHVHtko5vvsWH5KQUT3Wxvt6hzYvKdND6ur"


def migration() -> LogsItem:
    ev = pump_events()["migrate"]
    sub = Subscription.logs("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
    return LogsItem(sub, ev["signature"], 1, None, pump_logs("MigrateV2", ev["data"]), "ws")


def test_a_migrations_pool_opens_with_twice_its_sol_at_the_sol_price_of_that_moment() -> None:
    d = DiscoveryConnector(load_settings(discovery={"dexscreener": False}))
    (unpriced,) = d.on_logs(migration())  # no SOL price known yet: no liquidity claimed
    assert unpriced.kind is OnChainKind.NEW_POOL and unpriced.pool_liquidity_usd is None
    at = datetime.fromtimestamp(1790784420, UTC)  # the migration event's own time
    d.sol_follower.sol.observe(SolPriceEvent(mint=SOL_MINT, ts=at, price_usd=180.0))
    (ev,) = d.on_logs(migration())
    _, f = decoded(pump_events()["migrate"]["data"])
    assert ev.pool_liquidity_usd == round(2 * f["sol_amount"] / 1e9 * 180.0, 2)
    assert d.watchlist.states[MIGRATED].liquidity_usd == ev.pool_liquidity_usd  # counts for admission
