"""DexScreener: parser on a real pairs response, malformed payloads, and the client over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.dexscreener.client import DexScreenerClient
from memesnipe.connectors.dexscreener.parse import parse_pairs
from memesnipe.connectors.errors import ParseError

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "dexscreener"
POPDOG = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"
GUDB = "2zcGjrs2eTw3rqpND9jaaXGcW45mTvbFLVWZSKu7Mz8K"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def payload() -> dict:
    return json.loads((FIX / "pairs_popdog.json").read_text())


def test_one_event_per_mint_priced_from_the_deepest_pool_with_summed_volume_and_liquidity() -> None:
    events = parse_pairs(payload(), T0, watched={POPDOG})
    assert len(events) == 1
    ev = events[0]
    assert ev.mint == POPDOG
    assert ev.source == "dexscreener:raydium"  # FmLm... pool, $200,928 liquidity
    assert ev.price_usd == pytest.approx(0.003025)
    assert ev.price_sol == pytest.approx(0.00001655)  # quote is wrapped SOL -> priceNative
    assert ev.volume_usd_5m == pytest.approx(410.77 + 0 + 0 + 0)
    assert ev.liquidity_usd == pytest.approx(200928.07 + 625.05 + 85.08 + 1.95)
    assert ev.ts == T0 and ev.ts.tzinfo is not None


def test_a_pair_where_the_watched_mint_is_only_the_quote_is_not_its_price() -> None:
    # The GUDB/POPDOG pool quotes GUDB in POPDOG; unwatched GUDB must not be emitted.
    assert [e.mint for e in parse_pairs(payload(), T0, watched={POPDOG})] == [POPDOG]
    # Without a filter GUDB gets its own event, with no SOL price (its quote is not SOL).
    gudb = {e.mint: e for e in parse_pairs(payload(), T0)}[GUDB]
    assert gudb.price_usd == pytest.approx(0.0000283) and gudb.price_sol == 0.0


def test_bare_list_from_tokens_v1_parses_the_same() -> None:
    assert parse_pairs(payload()["pairs"], T0, {POPDOG}) == parse_pairs(payload(), T0, {POPDOG})


def test_no_pairs_is_no_event_not_an_error() -> None:
    assert parse_pairs({"schemaVersion": "1.0.0", "pairs": None}, T0) == []


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda p: p["pairs"][0].update(priceNative="text"), "priceNative"),  # the docs' placeholder
        (lambda p: p["pairs"][0].pop("baseToken"), "baseToken"),
        (lambda p: p.update(pairs="oops"), "pairs"),
    ],
)
def test_malformed_payload_raises_a_parse_error_naming_the_field(mutate, needle) -> None:
    p = payload()
    mutate(p)
    with pytest.raises(ParseError, match=needle):
        parse_pairs(p, T0)


async def test_client_requests_the_documented_path_and_retries_a_429() -> None:
    calls: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        if len(calls) == 1:
            return httpx.Response(429, headers={"retry-after": "0"})
        return httpx.Response(200, json=payload())

    client = DexScreenerClient("https://api.dexscreener.com", transport=httpx.MockTransport(handler))
    body = await client.token_pairs([POPDOG, GUDB])
    await client.aclose()
    assert body["pairs"][0]["pairAddress"] == "FmLmM2C3svyMmRwzTmnEjGnA5cD4YBLuPoQPixqZJG15"
    assert len(calls) == 2
    assert calls[1].url.path == f"/latest/dex/tokens/{POPDOG},{GUDB}"


async def test_client_refuses_more_than_30_addresses() -> None:
    client = DexScreenerClient("https://api.dexscreener.com", transport=httpx.MockTransport(lambda r: None))
    with pytest.raises(ValueError, match=r"1\.\.30"):
        await client.token_pairs(["x"] * 31)
    await client.aclose()


def test_latest_profiles_and_boosts_become_solana_candidates() -> None:
    from memesnipe.connectors.dexscreener.parse import parse_discoveries
    from memesnipe.streams.watchlist import DiscoveryOrigin

    profiles = json.loads((FIX / "token_profiles_latest.json").read_text())
    boosts = json.loads((FIX / "token_boosts_latest.json").read_text())
    got = parse_discoveries(profiles, T0, boosts=False)
    assert [(c.mint, c.origin, c.ts) for c in got] == [(POPDOG, DiscoveryOrigin.DEX_PROFILE, T0)]
    got = parse_discoveries(boosts, T0, boosts=True)
    assert [(c.mint, c.origin) for c in got] == [(POPDOG, DiscoveryOrigin.DEX_BOOST)]
    with pytest.raises(ParseError, match="tokenAddress"):
        parse_discoveries(
            [{"url": "https://dexscreener.com/solana/x", "chainId": "solana"}], T0, boosts=False
        )
