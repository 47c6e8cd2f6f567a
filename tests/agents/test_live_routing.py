"""Live routing against the providers' documented payloads: the transaction we build from a
Jupiter /build answer decodes as v0, resolves through the given lookup tables, carries our compute
budget (from the simulation), the Jito tip (from the tip floor, to a getTipAccounts account, as a
static key) and the memo; Drift orders are driftpy placePerpOrder instructions."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from anchorpy import Idl
from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from memesnipe.agents.live_routing import LiveRoute
from memesnipe.agents.routing import RouteFailed, Router
from memesnipe.connectors.drift import DriftPerpBuilder
from memesnipe.connectors.http import RetryPolicy
from memesnipe.connectors.jito import JitoClient
from memesnipe.connectors.jupiter import JupiterClient
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.paper_fill import MarketView
from memesnipe.core.tx_build import compute_budget_of, find_tip, from_b64, memo_of, resolve_instructions
from memesnipe.settings import load_settings
from memesnipe.streams.trading import Intent, Order, Side, Venue
from memesnipe.tables.orders import MarketMark

FIX = Path(__file__).parents[1] / "fixtures"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
TAKER = Pubkey.from_string("GkwFnmMDvn3HGMpJpWBg8tgJxr3NxNvg3AXxvXVPbRGJ")


def fx(path: str):
    return json.loads((FIX / path).read_text())


async def _noop(_s):
    return None


def transport(answers: dict, seen: list):
    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        key = req.url.path if req.method == "GET" else json.loads(req.content).get("method", req.url.path)
        ans = answers[key]
        return ans if isinstance(ans, httpx.Response) else httpx.Response(200, json=ans)

    return httpx.MockTransport(handler)


def live(answers: dict, seen: list, **settings_kw) -> LiveRoute:
    s = load_settings(**settings_kw)
    t = transport(answers, seen)
    r = RetryPolicy(attempts=2, base_delay_s=0)
    return LiveRoute(
        settings=s,
        jupiter=JupiterClient(
            "https://api.jup.ag", api_key="k", transport=t, rate_per_s=1000, retry=r, sleep=_noop
        ),
        jito=JitoClient(transport=t, rate_per_s=1000, retry=r, sleep=_noop),
        rpc=SolanaRpcClient("https://rpc.example", transport=t, rate_per_s=1000),
        drift=DriftPerpBuilder("mainnet"),
    )


ANSWERS = {
    "/swap/v2/build": fx("jupiter/build_v2.json"),
    "getTipAccounts": fx("jito/get_tip_accounts.json"),
    "/api/v1/bundles/tip_floor": fx("jito/tip_floor.json"),
    "simulateTransaction": fx("jupiter/simulate_transaction.json"),
    "getLatestBlockhash": fx("solana_rpc/getLatestBlockhash.json"),
    "getRecentPrioritizationFees": fx("solana_rpc/getRecentPrioritizationFees.json"),
    # our Drift User account does not exist yet (the documented answer for a missing account)
    "getAccountInfo": {"jsonrpc": "2.0", "result": {"context": {"slot": 312_345_678}, "value": None}},
}


def order(**kw) -> Order:
    base = dict(
        order_id="a" * 32,
        signal_id="s1",
        instance_id="i1",
        family="f",
        mint=USDC,
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=100_000_000,
        slippage_bps=50,
        price_sol=0.0062,
        price_usd=1.0,
    )
    base.update(kw)
    return Order(**base)


MARKET = MarketView(price_sol=0.0062, price_usd=1.0, decimals=6)


async def test_jupiter_swap_transaction_holds_budget_tip_memo_and_resolves_through_alts():
    seen: list = []
    route = live(ANSWERS, seen)
    built, plan = await route.build(order(), MARKET, TAKER)
    build = fx("jupiter/build_v2.json")
    tx = from_b64(built.tx_b64)
    assert tx.message.account_keys[0] == TAKER
    assert tx.message.recent_blockhash == Hash(bytes(build["blockhashWithMetadata"]["blockhash"]))
    ((alt_key, _alt_addrs),) = build["addressesByLookupTableAddress"].items()
    assert [str(t.account_key) for t in tx.message.address_table_lookups] == [alt_key]
    from memesnipe.connectors.jupiter.parse import lookup_tables

    ixs = resolve_instructions(tx, lookup_tables(build["addressesByLookupTableAddress"]))
    # compute budget: limit from the simulated 1714 units x 1.2, price from the 10k lamport budget
    limit = math.ceil(1714 * 1.2)
    assert compute_budget_of(ixs) == (limit, 10_000 * 1_000_000 // limit)
    # tip: median of the documented tip floor (1e-05 SOL), to a getTipAccounts account, static key
    tips = fx("jito/get_tip_accounts.json")["result"]
    acct, lamports = find_tip(ixs, tips)
    assert lamports == 10_000 == built.tip_lamports
    assert Pubkey.from_string(acct) in list(tx.message.account_keys)
    assert memo_of(ixs) == "memesnipe:" + "a" * 32
    swap = next(ix for ix in ixs if str(ix.program_id) == "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4")
    assert [str(a) for a in swap.accounts] == [a["pubkey"] for a in build["swapInstruction"]["accounts"]]
    # Jupiter's own compute-budget ix is replaced by ours: exactly two remain
    assert sum(1 for ix in ixs if str(ix.program_id).startswith("ComputeBudget")) == 2
    assert plan.qty_tokens == 16_198_753 and plan.notional_lamports == 100_000_000 and plan.model == "quote"
    assert plan.jito_tip_lamports == 10_000
    sim = next(
        r for r in seen if r.method == "POST" and json.loads(r.content)["method"] == "simulateTransaction"
    )
    cfg = json.loads(sim.content)["params"][1]
    assert cfg["replaceRecentBlockhash"] is True and cfg["encoding"] == "base64"


async def test_simulation_failure_refuses_the_route():
    answers = dict(ANSWERS)
    bad = fx("jupiter/simulate_transaction.json")
    bad["result"]["value"]["err"] = {"InstructionError": [3, {"Custom": 6001}]}
    answers["simulateTransaction"] = bad
    with pytest.raises(RouteFailed, match="simulation failed"):
        await live(answers, []).build(order(), MARKET, TAKER)


async def test_jupiter_answer_for_another_amount_is_refused():
    with pytest.raises(RouteFailed, match="another swap"):
        await live(ANSWERS, []).build(order(amount_in=5), MARKET, TAKER)


async def test_tip_floor_outage_pays_the_minimum_and_is_capped():
    answers = dict(ANSWERS)
    answers["/api/v1/bundles/tip_floor"] = httpx.Response(503)
    built, _ = await live(answers, []).build(order(), MARKET, TAKER)
    assert built.tip_lamports == 1_000
    capped, _ = await live(ANSWERS, [], jito={"tip_percentile": 99, "tip_max_lamports": 50_000}).build(
        order(), MARKET, TAKER
    )
    assert capped.tip_lamports == 50_000


async def test_drift_short_is_a_place_perp_order_with_tip():
    route = live(ANSWERS, [])
    o = order(side=Side.SHORT, venue=Venue.DRIFT, perp_market_index=23, amount_in=10**9)
    m = MarketView(price_sol=0.01, price_usd=1.5, decimals=6)
    built, plan = await route.build(o, m, TAKER)
    ixs = resolve_instructions(from_b64(built.tx_b64))
    drift = next(ix for ix in ixs if str(ix.program_id) == "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH")
    import os

    import driftpy
    from anchorpy.coder.instruction import InstructionCoder

    idl_path = Path(os.path.dirname(driftpy.__file__)) / "idl" / "drift.json"
    idl = Idl.from_json(idl_path.read_text())
    decoded = InstructionCoder(idl).parse(drift.data)
    assert decoded.name == "place_perp_order"
    p = decoded.data.params
    assert p.market_index == 23 and type(p.direction).__name__ == "Short" and p.reduce_only is False
    assert p.price == round(1.5 * (1 - 0.01) * 1_000_000)
    assert p.base_asset_amount == plan.qty_tokens * 1000  # 6-decimal token units -> 1e9 precision
    assert find_tip(ixs, fx("jito/get_tip_accounts.json")["result"])[1] == 10_000
    assert plan.drift_fee_lamports == 10**9 * 10 // 10_000 and plan.swap_fee_lamports == 0
    cover = order(
        side=Side.COVER, intent=Intent.EXIT, venue=Venue.DRIFT, perp_market_index=23, amount_in=10**6
    )
    built2, _ = await route.build(cover, m, TAKER)
    d2 = next(ix for ix in resolve_instructions(from_b64(built2.tx_b64)) if ix.program_id == drift.program_id)
    assert InstructionCoder(idl).parse(d2.data).data.params.reduce_only is True


def live_router(answers: dict, *, floor: int = 0, kill=(False, "")) -> Router:
    from memesnipe.agents.preflight import run_checks

    s = load_settings(
        mode="live",
        live_confirm="I-ACCEPT-REAL-MONEY-RISK",
        jupiter={"api_key": "k"},
        execution={"min_sol_balance_lamports": floor},
        signer={"wallet_pubkey": str(TAKER)},
    )
    route = live(answers, [])

    async def k():
        return kill

    async def pf():
        return await run_checks(s, rpc=route.rpc, jito=route.jito, kill_switch_active=k, check_key_file=False)

    return Router(settings=s, payer=str(TAKER), live=route, preflight=pf)


LIVE_ANSWERS = {**ANSWERS, "getBalance": fx("solana_rpc/getBalance.json")}


async def test_router_in_live_mode_emits_request_with_quote_meta_after_preflight():
    router = live_router(LIVE_ANSWERS)
    req = await router.route(order(), MarketMark(price_sol=0.0062, price_usd=1.0, decimals=6))
    assert not req.paper and req.request_id == "a" * 32
    assert req.meta["model"] == "quote" and req.meta["qty_tokens"] == 16_198_753
    fees = req.meta["priority_fee_lamports"] + 10_000 + req.meta["swap_fee_lamports"]
    assert req.spend_lamports == 100_000_000 + fees


async def test_live_orders_are_refused_until_the_preflight_passes():
    balance = fx("solana_rpc/getBalance.json")["result"]["value"]
    low = live_router(LIVE_ANSWERS, floor=balance + 1)
    with pytest.raises(RouteFailed, match="live preflight failed: SOL balance") as exc:
        await low.route(order(), None)
    assert exc.value.rejected
    killed = live_router(LIVE_ANSWERS, kill=(True, "drawdown 21%"))
    with pytest.raises(RouteFailed, match="kill switch off: active: drawdown 21%"):
        await killed.route(order(), None)
    no_preflight = Router(
        settings=load_settings(mode="live", live_confirm="I-ACCEPT-REAL-MONEY-RISK"), payer="x"
    )
    with pytest.raises(RouteFailed, match="without a preflight"):
        await no_preflight.route(order(), None)


async def test_router_paper_mode_without_live_route_uses_model_and_rejects_bad_orders():
    s = load_settings()
    router = Router(settings=s, payer=str(Keypair().pubkey()))
    with pytest.raises(RouteFailed) as exc:
        await router.route(order(side=Side.SHORT), None)
    assert exc.value.rejected and "cannot trade on jupiter" in str(exc.value)
    with pytest.raises(RouteFailed, match="above the cap"):
        await router.route(order(amount_in=10**12), None)
    req = await router.route(
        order(), MarketMark(price_sol=0.0062, price_usd=1.0, decimals=6, levels=[(1000.0, 30.0)])
    )
    assert req.paper and req.meta["model"] == "depth"


async def test_router_waits_for_the_signer_to_publish_its_public_key(tmp_path):
    import asyncio

    s = load_settings(data_dir=tmp_path)
    router = Router(settings=s, payer="", payer_wait_s=5)
    pub = Keypair().pubkey()

    async def signer_starts():
        await asyncio.sleep(0.6)
        (tmp_path / "signer").mkdir()
        (tmp_path / "signer" / "wallet.pub").write_text(f"{pub}\n")

    task = asyncio.create_task(signer_starts())
    req = await router.route(order(), MarketMark(price_sol=0.0062, price_usd=1.0, decimals=6))
    await task
    assert from_b64(req.tx_b64).message.account_keys[0] == pub
    gone = Router(settings=load_settings(data_dir=tmp_path / "none"), payer="", payer_wait_s=0)
    with pytest.raises(RouteFailed, match="signer public key unknown"):
        await gone.route(order(), None)


def _fees(*values: int) -> dict:
    doc = fx("solana_rpc/getRecentPrioritizationFees.json")
    doc["result"] = [{"slot": 348125 + i, "prioritizationFee": v} for i, v in enumerate(values)]
    return doc


async def test_priority_fee_is_the_percentile_of_recent_fees_for_the_swaps_accounts_within_floor_and_cap():
    limit = math.ceil(1714 * 1.2)
    floor = 10_000 * 1_000_000 // limit  # the 10k-lamport budget spread over the limit
    # the documented sample (max 1,234 micro-lamports/CU) is below the budget floor: the floor
    seen: list = []
    built, _ = await live(ANSWERS, seen).build(order(), MARKET, TAKER)
    assert built.cu_price_micro_lamports == floor
    asked = next(json.loads(r.content) for r in seen if r.method == "POST" and b"Prioritization" in r.content)
    build = fx("jupiter/build_v2.json")
    writable = [
        a["pubkey"] for a in build["swapInstruction"]["accounts"] if a["isWritable"] and not a["isSigner"]
    ]
    assert asked["params"] == [writable]
    # a busy market: the 75th percentile of the samples
    busy = {**ANSWERS, "getRecentPrioritizationFees": _fees(*(i * 1_000_000 for i in range(1, 9)))}
    built, _ = await live(busy, []).build(order(), MARKET, TAKER)
    assert built.cu_price_micro_lamports == 6_000_000
    # a spike: capped by max_priority_fee_lamports over the limit
    spike = {**ANSWERS, "getRecentPrioritizationFees": _fees(10**12)}
    built, _ = await live(spike, []).build(order(), MARKET, TAKER)
    assert built.cu_price_micro_lamports == 200_000 * 1_000_000 // limit
    # the node cannot say: the budget
    down = {**ANSWERS, "getRecentPrioritizationFees": httpx.Response(500)}
    built, _ = await live(down, []).build(order(), MARKET, TAKER)
    assert built.cu_price_micro_lamports == floor


async def test_the_swaps_slippage_follows_the_mints_volatility_and_min_out_is_the_routes_bound():
    """A mint moving 2 % a second: the build is asked for floor + 2 sigmas of its 10-s move,
    capped at the entry cap; an exit in the same market may pay up to the exit cap; the declared
    min_out is the route's own minimum at that slippage (what the signer compares)."""
    seen: list = []
    route = live(ANSWERS, seen)
    t0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    prices = tuple((t0 - 30 + i, 0.0062 * (1.02 if i % 2 else 1.0)) for i in range(31))
    volatile = MarketView(price_sol=0.0062, price_usd=1.0, decimals=6, prices=prices)
    built, _plan = await route.build(order(), volatile, TAKER)
    asked = [int(r.url.params["slippageBps"]) for r in seen if r.url.path == "/swap/v2/build"]
    sigma = math.sqrt(math.log(1.02) ** 2 * 10) * 10_000  # per-second variance x 10 s
    assert asked == [min(300, 50 + math.ceil(2 * sigma))] == [300]
    assert built.min_out == 16_198_753 * (10_000 - 300) // 10_000
    seen.clear()
    exit_order = order(side=Side.SELL, intent=Intent.EXIT, amount_in=16_198_753)
    answers = {**ANSWERS, "/swap/v2/build": _sell_build()}
    route = live(answers, seen)
    built, _plan = await route.build(exit_order, volatile, TAKER)
    asked = [int(r.url.params["slippageBps"]) for r in seen if r.url.path == "/swap/v2/build"]
    assert asked == [50 + math.ceil(2 * sigma)] and asked[0] > 300  # within the exit cap of 1,500
    quiet = MarketView(price_sol=0.0062, price_usd=1.0, decimals=6, prices=((t0 - 1, 0.0062), (t0, 0.0062)))
    seen.clear()
    built, _plan = await live(ANSWERS, seen).build(order(), quiet, TAKER)
    assert [r.url.params["slippageBps"] for r in seen if r.url.path == "/swap/v2/build"] == ["50"]


def _sell_build() -> dict:
    """The documented build answer read as the reverse swap (USDC -> SOL)."""
    raw = fx("jupiter/build_v2.json")
    raw["inputMint"], raw["outputMint"] = raw["outputMint"], raw["inputMint"]
    raw["inAmount"], raw["outAmount"] = raw["outAmount"], raw["inAmount"]
    raw["otherAmountThreshold"] = str(int(raw["outAmount"]) * 9_950 // 10_000)
    return raw
