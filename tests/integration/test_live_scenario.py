"""Issue 16's scenario on the real broker: a market built from the providers' real payload shapes
(tests/integration/live_scenario.py: DexScreener + GeckoTerminal prices merged, X recent search,
Helius enhanced transactions, the pool's reserves, GeckoTerminal holders, Drift funding,
deBridge orders, Solana RPC / RugCheck safety facts, Jupiter quotes, Pyth SOL/USD), parsed by
the connectors' own parsers, published and run through the normal pipeline (a worker with the
default strategy specs and risk settings, the paper signer). Every one of the eleven families
emits a signal; the token with complete good safety facts is traded with the default settings,
the one whose mint authority is still live is refused with that reason."""

from __future__ import annotations

import collections
import time

import pytest

from memesnipe.core.strategies.defaults import DEFAULT_PARAMS
from tests.integration.live_scenario import BAD, FAMILY_MINT, GOOD, scenario
from tests.integration.pipeline import collect, prepare, produce_events, start_signer, workers
from tests.support.kafka import IsolatedEnv, consume

pytestmark = pytest.mark.integration


async def until_decided(env: IsolatedEnv, mint: str, timeout_s: float = 180.0) -> None:
    """Wait until the risk gate has decided an entry on ``mint`` (an order or a rejection)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for topic in ("orders", "rejections"):
            recs = await consume(env.bootstrap, env.topic(topic), timeout_s=5.0, idle_s=1.0)
            if any(r.key == mint.encode() for r in recs):
                return
    raise AssertionError(f"no decision on {mint} within {timeout_s:.0f} s")


def test_the_scenario_built_from_real_payloads_is_complete() -> None:
    """Without a broker: the scenario names a token for every default family, and its events
    come from the parsers (each carries its provider as source)."""
    assert set(FAMILY_MINT) == set(DEFAULT_PARAMS)
    events = scenario()
    sources = collections.Counter(e.source.split(":")[0] for e in events)
    assert {"volume", "x_search", "helius", "geckoterminal", "drift_data", "debridge", "solana_rpc",
            "rugcheck", "depth", "pyth", "raydium_amm_v4"} <= set(sources), sources  # fmt: skip
    assert [e.ts for e in events] == sorted(e.ts for e in events)


async def test_every_family_signals_a_good_token_trades_and_a_bad_fact_is_refused(isolated_env) -> None:
    env = isolated_env
    # Event-time order across topics, as a replay of a recorded feed is run (docs/EVENT_TIME.md):
    # perp_basis_arb joins the price and funding topics, and without the window a funding topic
    # read ahead of the prices finds no spot. A stream setting: every risk setting is its default.
    env.extra["MEMESNIPE_KAFKA__REORDER_WINDOW_S"] = "3600"
    await prepare(env)  # topics and the default strategy specs
    procs = [*workers(env, 1), start_signer(env)]
    try:
        await produce_events(env, scenario())
        await until_decided(env, BAD)  # the last token of the scenario: everything before is out
        out = await collect(env, min_fills=1)
    finally:
        for p in procs:
            p.stop()
    strategy_signals = [s for s in out.signals if s.meta.get("source") != "position_manager"]
    by_family = collections.defaultdict(set)
    for s in strategy_signals:
        by_family[s.family].add(s.mint)
    missing = {f for f in DEFAULT_PARAMS if FAMILY_MINT[f] not in by_family.get(f, set())}
    assert not missing, f"no signal from {sorted(missing)}; got {dict(by_family)}"

    # the good token: an entry order with the default gate, filled on paper
    good_orders = [o for o in out.orders if o.mint == GOOD and o.intent.value == "entry"]
    assert good_orders, [(r.mint, r.rule, r.reason) for r in out.rejections if r.mint == GOOD]
    assert {o.family for o in good_orders} <= {"momentum_5m", "korean_time_burst"}
    filled = {f.order_id for f in out.fills}
    assert any(o.order_id in filled for o in good_orders)

    # the token with a live mint authority: refused, the reason naming the fact and its source
    [bad] = [r for r in out.rejections if r.mint == BAD]
    assert bad.instance_id == "bridge_inflow.default"
    assert bad.rule == "mint_authority", (bad.rule, bad.reason)
    assert bad.reason == "mint authority is live: supply can be inflated (solana_rpc, 30s old)", bad.reason
    assert not [o for o in out.orders if o.mint == BAD]
