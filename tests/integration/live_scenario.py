"""A market built from the providers' real payload shapes (tests/fixtures/<provider>/, each with
its SOURCE.md), turned into market events by the connectors' own parsers, in which every one of
the eleven default strategy instances has something to act on.

Each provider payload is a fixture deep-copied with its documented fields set to the scenario's
values (prices, volumes, times, addresses); nothing is added that the provider does not
document. Times run from T0, a Monday 00:00 UTC = 09:00 in Seoul, over two days (the Korean-hours
family needs the previous day's same hour). One token per family keeps their inputs apart:

- GOOD (momentum_5m, korean_time_burst): a 10 % breakout on 4x volume at day 1, 09:20 KST, from
  DexScreener + GeckoTerminal merged (``connect volume``); complete good safety facts (Solana RPC
  mint account, RugCheck summary, the pool's LP burned) and a depth curve (Jupiter quotes).
- BAD (bridge_inflow): $150k bridged in through deBridge; its mint authority is still live, so
  the gate refuses the entry naming that fact.
- the others: a mean-reversion drop (DexScreener), an X recent-search burst with authors, LP adds
  against the pool's reserves (Helius ADD_LIQUIDITY + the pool reading, USD from Pyth's SOL/USD),
  Drift funding with the perp's mark 5 % over spot, a creator's CREATE and its sell (Helius),
  holder growth (GeckoTerminal token info) with an airdrop to 600 wallets (Helius TRANSFER), a
  mint with live authorities and 80 % in ten wallets (Solana RPC), and a followed wallet's buy
  (Helius SWAP).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from memesnipe.connectors.bridge.debridge import parse_orders
from memesnipe.connectors.depth.parse import depth_event, lamports_for_usd
from memesnipe.connectors.dexscreener.parse import parse_pairs
from memesnipe.connectors.drift_data.parse import parse_funding
from memesnipe.connectors.geckoterminal.holders import parse_holders
from memesnipe.connectors.geckoterminal.parse import parse_token_pools
from memesnipe.connectors.helius.parse import parse_enhanced
from memesnipe.connectors.jupiter.parse import quote_from_raw
from memesnipe.connectors.jupiter.schemas import RawQuote
from memesnipe.connectors.pools.reserves import pool_event, reading
from memesnipe.connectors.pools.state import PoolState
from memesnipe.connectors.pyth.parse import parse_sol_price
from memesnipe.connectors.rugcheck.parse import rugcheck_event
from memesnipe.connectors.social.parse import parse_search
from memesnipe.connectors.sol_usd import SolUsd, with_usd
from memesnipe.connectors.solana_rpc.parse import safety_event
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    LargestAccountsResult,
    MultipleAccountsResult,
    TokenSupplyResult,
)
from memesnipe.connectors.volume.merge import merge
from memesnipe.core.strategies.defaults import SIMULATED_FOLLOWED_WALLETS
from memesnipe.streams.base import LAMPORTS_PER_SOL, SOL_MINT
from memesnipe.streams.market import MarketEvent
from tests.connectors.pools.rpc_shapes import mint_account, multiple, token_account

FIX = Path(__file__).resolve().parents[1] / "fixtures"
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
DAY = 86_400
SOL_USD = 150.0

# one mint per family (addresses of the fixtures where one fits, else valid base58 keys)
GOOD = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"  # PopDog, DexScreener's capture
BAD = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"  # BONK, the deBridge fixture's Solana side
REVERT = "x95HN3DWvbfCBtTjGm587z8suK3ec6cwQwgZNLbWKyp"  # $HACHI, GeckoTerminal's capture
SOCIAL = "2oCxjpWWEmCuNaXiBSVahUKP1xRMRAiBfCg98YyHpump"  # BlackBull, GeckoTerminal's capture
LIQUID = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"  # the Raydium pool fixture's token
DEV = "HGafL7qFRtS6zYyUMn1jJc3z67itxZYd55D94mfupump"  # GeckoTerminal token-info capture
AIRDROP = "3wyAj7Rt1TWVPZVteFJPLa26JmLvdb1CAKEFZm3NY75E"  # RugCheck's fixture mint
RUG = "DsfCsbbPH77p6yeLS1i4ag9UA5gP9xWSvdCx72FJjLsx"  # Helius's doc example mint
FOLLOWED = "2zcGjrs2eTw3rqpND9jaaXGcW45mTvbFLVWZSKu7Mz8K"  # DexScreener capture's orca base
CREATOR = "8cRrU1NzNpjL3k2BwjW3VixAcX6VFc29KHr4KZg8cs2Y"  # Helius doc example's fee payer
LEADER = SIMULATED_FOLLOWED_WALLETS[0]  # the default follow_wallets spec copies it

FAMILY_MINT = {
    "momentum_5m": GOOD,
    "korean_time_burst": GOOD,
    "bridge_inflow": BAD,
    "mean_revert_1h": REVERT,
    "social_buzz": SOCIAL,
    "liquidity_migration": LIQUID,
    "perp_basis_arb": SOL_MINT,
    "dev_wallet_drain": DEV,
    "airdrop_rotation": AIRDROP,
    "rug_pull_sniffer": RUG,
    "follow_wallets": FOLLOWED,
}


@cache
def _fixture(path: str) -> Any:
    return json.loads((FIX / path).read_text())


def fixture(path: str) -> Any:
    return copy.deepcopy(_fixture(path))


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


# --- prices: DexScreener pairs + GeckoTerminal pools, merged as `connect volume` does ----------


def dex_pairs(mint: str, px: float, vol_5m: float, trades: int = 20) -> dict[str, Any]:
    """DexScreener's real PopDog capture, its deepest pair set to the scenario's numbers."""
    p = fixture("dexscreener/pairs_popdog.json")
    pair = p["pairs"][0]
    pair["baseToken"]["address"] = mint
    pair["priceUsd"] = f"{px:.10g}"
    pair["priceNative"] = f"{px / SOL_USD:.10g}"
    pair["volume"]["m5"] = vol_5m
    pair["txns"]["m5"] = {"buys": trades // 2, "sells": trades - trades // 2}
    pair["liquidity"]["usd"] = 400_000.0
    p["pairs"] = [pair]
    return p


def gecko_pools(mint: str, px: float, vol_5m: float) -> dict[str, Any]:
    """GeckoTerminal's real $HACHI pool, re-labelled to the scenario's token and numbers; it sees
    a little less volume and liquidity than DexScreener, so the merge takes DexScreener's."""
    p = fixture("geckoterminal/token_pools.json")
    pool = p["data"][0]
    pool["relationships"]["base_token"]["data"]["id"] = f"solana_{mint}"
    a = pool["attributes"]
    a["base_token_price_usd"] = f"{px:.10g}"
    a["base_token_price_native_currency"] = f"{px / SOL_USD:.10g}"
    a["volume_usd"]["m5"] = f"{vol_5m * 0.9:.4f}"
    a["reserve_in_usd"] = "350000"
    p["data"] = [pool]
    return p


def price(mint: str, s: float, px: float, vol_5m: float = 5_000.0) -> list[MarketEvent]:
    ts = at(s)
    return list(
        merge(
            [
                *parse_pairs(dex_pairs(mint, px, vol_5m), ts, {mint}),
                *[e for e in [parse_token_pools(gecko_pools(mint, px, vol_5m), mint, ts)] if e],
            ]
        )
    )


def prices_good() -> list[MarketEvent]:
    """Day 0 09:00-10:00 KST flat (the Korean-hours baseline), day 1 from 08:00 KST flat, then
    +10 % on 4x volume at 09:20 KST: both a momentum breakout and a Seoul-hours burst."""
    out: list[MarketEvent] = []
    for i in range(60):
        out += price(GOOD, 60 * i, 1.0)
    for i in range(80):
        out += price(GOOD, DAY - 3_600 + 60 * i, 1.0)
    out += price(GOOD, DAY + 1_200, 1.10, 20_000.0)
    return out


def _z(xs: list[float]) -> float:
    n = len(xs)
    mean = sum(xs) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / n)
    return (xs[-1] - mean) / std


def prices_revert() -> list[MarketEvent]:
    """Two hours of a wobble, then a drop to z = -3.5 of the last hour (entry at |z| 3)."""
    start = DAY + 2 * 3_600
    wobble = [1.0 + 0.01 * math.sin(i / 3.0) for i in range(240)]
    out: list[MarketEvent] = []
    for i, px in enumerate(wobble):
        out += price(REVERT, start + 30 * i, px)
    window = [math.log(p) for p in wobble[-120:]]
    lo, hi = 0.5, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _z([*window, math.log(mid)]) < -3.5:
            lo = mid
        else:
            hi = mid
    out += price(REVERT, start + 30 * 240, (lo + hi) / 2)
    return out


# --- social: X recent search with author expansion ------------------------------------------


def search_page(posts: list[tuple[datetime, str]]) -> dict[str, Any]:
    """X's documented recent-search example (expansions=author_id), one Post per (time, author)."""
    p = fixture("social/recent_search_author_expansion.json")
    template = p["data"][0]
    p["data"] = [
        template
        | {
            "id": str(10**18 + i),
            "edit_history_tweet_ids": [str(10**18 + i)],
            "author_id": author,
            "created_at": ts.isoformat().replace("+00:00", "Z"),
            "text": f"$BULL {i}",
        }
        for i, (ts, author) in enumerate(posts)
    ]
    p.pop("meta", None)
    return p


def social() -> list[MarketEvent]:
    """An hour of 2 Posts a minute, then a minute of 30 Posts by 25 authors."""
    start = at(DAY + 3 * 3_600)
    posts = [
        (start + timedelta(seconds=60 * m + 20 * k), f"9{m:03d}{k}") for m in range(60) for k in range(2)
    ]
    burst = start + timedelta(minutes=60)
    posts += [(burst + timedelta(seconds=2 * i), f"7{i % 25:03d}") for i in range(30)]
    return list(parse_search([search_page(posts)], SOCIAL, start, burst + timedelta(minutes=1), 60))


# --- Helius enhanced transactions ----------------------------------------------------------


def helius_tx(
    kind: str,
    s: float,
    fee_payer: str,
    transfers: list[tuple[str, str, float, str]],
    native_change: int = 0,
    sig: str = "",
) -> dict[str, Any]:
    """Helius's documented enhanced-transaction example with its documented fields set:
    ``type``, ``feePayer``, ``timestamp``, ``tokenTransfers`` (from, to, amount, mint) and the
    fee payer's ``nativeBalanceChange`` in ``accountData``."""
    tx = fixture("helius/enhanced_tx_doc_example.json")[0]
    tx.update(type=kind, feePayer=fee_payer, timestamp=int(at(s).timestamp()), slot=300_000_000 + int(s))
    tx["signature"] = sig or f"{kind.lower()}{int(s)}{fee_payer[:6]}"
    tx["transactionError"] = None
    tx["fee"] = 5_000
    tx["nativeTransfers"] = []
    tpl = tx["tokenTransfers"][0]
    tx["tokenTransfers"] = [
        tpl | {"fromUserAccount": a, "toUserAccount": b, "tokenAmount": amt, "mint": mint,
               "fromTokenAccount": "", "toTokenAccount": ""}
        for a, b, amt, mint in transfers
    ]  # fmt: skip
    acct = tx["accountData"][0]
    tx["accountData"] = [
        acct | {"account": fee_payer, "nativeBalanceChange": native_change - 5_000, "tokenBalanceChanges": []}
    ]
    return tx


SOL = LAMPORTS_PER_SOL
POOL_VAULT = "7apsA8t7nqLFJi5uMQtoijt4x1FxY85s4jjyj4zcQwDY"


def sol_price(s: float) -> MarketEvent:
    """Pyth Hermes' real latest-update capture, set to $150 at the scenario's time."""
    p = fixture("pyth/latest_price_updates.json")
    parsed = p["parsed"][0]["price"]
    parsed["price"] = str(int(SOL_USD * 10 ** (-parsed["expo"])))
    parsed["publish_time"] = int(at(s).timestamp())
    [ev] = parse_sol_price(p, p["parsed"][0]["id"])
    return ev


def onchain_liquidity() -> list[MarketEvent]:
    """The pool's reading (about $31k: 2 x 104 SOL at $150), then three LP adds of 40 SOL each
    ($36k counted two-sided): net inflow > 50 % of the pool."""
    s0 = DAY + 5 * 3_600
    state = PoolState(
        "raydium_amm_v4", "Hb5nPV8QeyAcom4tMPEZKbpKVEXBQeQgnU7pPQbb1FyG",
        mint_a=LIQUID, mint_b=SOL_MINT,
        vault_a="4ECdmvNnYV69mz2znBmzLUGueaKsSbJL3a7svwtiGJbB", vault_b=POOL_VAULT,
        lp_mint="HPk8g4SRRdBBFuuNim7yad51z9NMuhhLhJEQUBJwEVT3",
        lp_supply=10**12, fees_a=0, fees_b=0,
    )  # fmt: skip
    accounts = MultipleAccountsResult.model_validate(
        multiple(token_account(LIQUID, 10**14, 6), token_account(SOL_MINT, 104 * SOL, 9), mint_account(0, 6))
    )
    pool = pool_event(reading(state, accounts), at(s0), SOL_USD)
    assert pool is not None and pool.pool_liquidity_usd
    provider = "5tzFkiKscXHK5ZXCGbXZxdw7gTjjD1mBwuoFbhUvuAi9"
    adds = [
        helius_tx(
            "ADD_LIQUIDITY",
            s0 + 60 * (i + 1),
            provider,
            [(provider, POOL_VAULT, 1_000_000.0, LIQUID)],
            -40 * SOL,
        )
        for i in range(3)
    ]
    sol = SolUsd(max_age_s=600.0)
    sol.observe(sol_price(s0))  # type: ignore[arg-type]
    return [sol_price(s0), pool, *with_usd(parse_enhanced(adds), sol)]


def onchain_dev() -> list[MarketEvent]:
    """The creator's CREATE (keeps 100M tokens), then it sells 40M for 12 SOL."""
    s0 = DAY + 6 * 3_600
    create = helius_tx("CREATE", s0, CREATOR, [("", CREATOR, 100_000_000.0, DEV)], -2 * SOL // 100)
    sell = helius_tx("SWAP", s0 + 600, CREATOR, [(CREATOR, "PoolDev111", 40_000_000.0, DEV)], 12 * SOL)
    return parse_enhanced([create, sell])


def onchain_airdrop() -> list[MarketEvent]:
    """Holders 10,000 (GeckoTerminal), an airdrop to 600 wallets (Helius TRANSFER), holders
    10,900 half an hour later: +9 % with 600 recipients."""
    s0 = DAY + 7 * 3_600
    info = fixture("geckoterminal/token_info.json")
    attrs = info["data"]["attributes"]
    attrs["address"] = AIRDROP
    out: list[MarketEvent] = []
    for s, count in ((s0, 10_000), (s0 + 1_800, 10_900)):
        attrs["holders"].update(count=count, last_updated=at(s).isoformat().replace("+00:00", "Z"))
        ev = parse_holders(info, at(s))
        assert ev is not None
        out.append(ev)
    sender = "AirDropSender1111111111111111111111111111111"
    drop = helius_tx(
        "TRANSFER", s0 + 900, sender, [(sender, f"Rcpt{i:040d}"[:44], 500.0, AIRDROP) for i in range(600)]
    )
    out[1:1] = parse_enhanced([drop], airdrop_min_recipients=10)
    return out


def onchain_follow() -> list[MarketEvent]:
    """The followed wallet buys 2M tokens for 3 SOL."""
    s0 = DAY + 8 * 3_600
    buy = helius_tx("SWAP", s0, LEADER, [("PoolFol111", LEADER, 2_000_000.0, FOLLOWED)], -3 * SOL)
    return [*price(FOLLOWED, s0 - 60, 0.001), *parse_enhanced([buy])]


# --- safety facts: Solana RPC, RugCheck, the pool's LP ---------------------------------------


def rpc_safety(mint: str, s: float, *, authorities: bool, top10_share: float) -> MarketEvent:
    """Solana RPC's real getAccountInfo (mint, jsonParsed), getTokenLargestAccounts and
    getTokenSupply answers, with the authorities and the holders' shares set."""
    acct = fixture("solana_rpc/getAccountInfo_mint_jsonParsed.json")["result"]
    info = acct["value"]["data"]["parsed"]["info"]
    info["decimals"] = 6
    if authorities:
        info["mintAuthority"] = info["freezeAuthority"] = CREATOR
    supply = fixture("solana_rpc/getTokenSupply.json")["result"]
    supply["value"].update(amount="1000000000000", decimals=6, uiAmount=1_000_000.0, uiAmountString="1000000")
    largest = fixture("solana_rpc/getTokenLargestAccounts.json")["result"]
    tpl = largest["value"][0]
    each = int(10**12 * top10_share / 10)
    largest["value"] = [
        tpl | {"address": f"Holder{i:038d}"[:44], "amount": str(each), "decimals": 6} for i in range(10)
    ]
    return safety_event(
        mint,
        AccountInfoResult.model_validate(acct),
        LargestAccountsResult.model_validate(largest),
        TokenSupplyResult.model_validate(supply),
        at(s),
    )


def rugcheck(mint: str, s: float) -> MarketEvent:
    raw = fixture("rugcheck/report_summary_clean_built.json")
    raw["mint"] = mint
    return rugcheck_event(mint, raw, at(s))


def depth(mint: str, s: float) -> MarketEvent:
    """Jupiter's real quote, SOL -> the token, at four sizes with growing impact."""
    quotes = []
    for size, impact in ((100.0, 0.001), (500.0, 0.004), (1_000.0, 0.008), (5_000.0, 0.04)):
        raw = fixture("depth/quote_v1.json")
        raw.update(outputMint=mint, inAmount=str(lamports_for_usd(size, SOL_USD)), priceImpactPct=str(impact))
        raw["routePlan"][0]["swapInfo"]["outputMint"] = mint
        quotes.append((size, quote_from_raw(RawQuote.model_validate(raw))))
    return depth_event(mint, quotes, at(s))


def safety_facts(mint: str, s: float, *, good: bool) -> list[MarketEvent]:
    """All three sources a default gate asks for; ``good=False`` leaves the mint authority live."""
    return [
        rpc_safety(mint, s, authorities=not good, top10_share=0.18),
        rugcheck(mint, s),
        depth(mint, s),
    ]


def rug_facts() -> list[MarketEvent]:
    """Mint and freeze authority live and 80 % in ten wallets: score 0.65 >= 0.55."""
    return [rpc_safety(RUG, DAY + 9 * 3_600, authorities=True, top10_share=0.8)]


# --- Drift funding and deBridge -----------------------------------------------------------------


def funding() -> list[MarketEvent]:
    """Three hourly funding prints with the mark 5 % over the oracle, SOL spot at $150."""
    s0 = DAY + 10 * 3_600
    raw = fixture("drift_data/fundingRates_SOL-PERP.json")
    tpl = raw["fundingRates"][0]
    rows = []
    for i in range(3):
        rows.append(
            tpl
            | {
                "ts": str(int(at(s0 + 3_600 * i).timestamp())),
                "slot": 401_001_868 + i,
                "recordId": str(28_756 + i),
                "oraclePriceTwap": str(int(SOL_USD * 1e6)),
                "markPriceTwap": str(int(SOL_USD * 1.05 * 1e6)),
                "fundingRate": str(int(0.002 * SOL_USD * 1e9)),
            }
        )
    raw["fundingRates"] = rows
    out: list[MarketEvent] = []
    for i, ev in enumerate(parse_funding(raw, "SOL-PERP", SOL_MINT)):
        out += price(SOL_MINT, s0 + 3_600 * i - 30, SOL_USD)
        out.append(ev)
    return out


def bridge() -> list[MarketEvent]:
    """$150,000 of USDC bridged into BAD on Solana (deBridge DLN order, Fulfilled)."""
    raw = fixture("bridge/debridge_filtered_orders.json")
    order = raw["orders"][0]
    order["creationTimestamp"] = int(at(DAY + 11 * 3_600).timestamp())
    order["giveOfferWithMetadata"]["amount"]["stringValue"] = str(150_000 * 10**6)
    order["giveOfferWithMetadata"]["finalAmount"]["stringValue"] = str(150_000 * 10**6)
    raw["orders"] = [order]
    return [*price(BAD, DAY + 11 * 3_600 - 60, 0.00002), *parse_orders(raw)]


def scenario() -> list[MarketEvent]:
    """Every event, in event-time order (as a feed or a replay publishes them)."""
    good_t = DAY + 1_200
    parts: list[Callable[[], list[MarketEvent]]] = [
        prices_good,
        prices_revert,
        social,
        onchain_liquidity,
        onchain_dev,
        onchain_airdrop,
        onchain_follow,
        rug_facts,
        funding,
        bridge,
        lambda: safety_facts(GOOD, good_t - 30, good=True),
        lambda: safety_facts(BAD, DAY + 11 * 3_600 - 30, good=False),
    ]
    events = [e for part in parts for e in part()]
    return sorted(events, key=lambda e: e.ts)
