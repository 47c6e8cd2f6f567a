"""Jupiter client against the documented payloads (tests/fixtures/jupiter, see SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from solders.hash import Hash
from solders.pubkey import Pubkey

from memesnipe.connectors.errors import ParseError, RejectedError
from memesnipe.connectors.http import RetryPolicy
from memesnipe.connectors.jupiter import JupiterClient

FIX = Path(__file__).parents[2] / "fixtures" / "jupiter"
SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
TAKER = "GkwFnmMDvn3HGMpJpWBg8tgJxr3NxNvg3AXxvXVPbRGJ"


def fixture(name: str):
    return json.loads((FIX / name).read_text())


async def _noop(_s: float) -> None:
    return None


def make(handler, **kw) -> tuple[JupiterClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def h(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return handler(req)

    c = JupiterClient(
        "https://api.jup.ag",
        api_key="k-123",
        rate_per_s=1000,
        transport=httpx.MockTransport(h),
        retry=RetryPolicy(attempts=3, base_delay_s=0),
        sleep=_noop,
        **kw,
    )
    return c, seen


async def test_quote_parses_documented_example_and_sends_documented_params():
    c, seen = make(lambda r: httpx.Response(200, json=fixture("quote_v1.json")))
    q = await c.quote(SOL, USDC, 100_000_000, 50)
    assert (q.in_amount, q.out_amount, q.min_out_amount) == (100_000_000, 16_198_753, 16_117_760)
    assert q.slippage_bps == 50 and q.price_impact_bps == 0 and q.labels == ("Meteora DLMM",)
    assert q.context_slot == 299283763
    req = seen[0]
    assert req.url.path == "/swap/v1/quote" and req.headers["x-api-key"] == "k-123"
    assert req.url.params["inputMint"] == SOL and req.url.params["amount"] == "100000000"
    assert req.url.params["slippageBps"] == "50" and req.url.params["restrictIntermediateTokens"] == "true"


async def test_build_gives_instructions_lookup_tables_and_blockhash():
    c, seen = make(lambda r: httpx.Response(200, json=fixture("build_v2.json")))
    plan = await c.build(SOL, USDC, 100_000_000, 50, TAKER)
    raw = fixture("build_v2.json")
    assert seen[0].url.path == "/swap/v2/build" and seen[0].url.params["taker"] == TAKER
    assert seen[0].url.params["forJitoBundle"] == "true"
    assert plan.quote.out_amount == 16_198_753
    assert str(plan.swap.program_id) == "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"
    assert len(plan.setup) == 4 and len(plan.cleanup) == 1
    assert [str(i.program_id) for i in plan.venue_instructions][-2:] == [
        "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4",
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    ]
    ((alt_key, alt_addrs),) = raw["addressesByLookupTableAddress"].items()
    assert plan.lookup_tables[0].key == Pubkey.from_string(alt_key)
    assert [str(a) for a in plan.lookup_tables[0].addresses] == alt_addrs
    assert plan.blockhash == Hash(bytes(raw["blockhashWithMetadata"]["blockhash"]))
    assert plan.last_valid_block_height == 279632475


async def test_build_with_bad_payload_is_a_parse_error():
    bad = fixture("build_v2.json")
    del bad["swapInstruction"]
    c, _ = make(lambda r: httpx.Response(200, json=bad))
    with pytest.raises(ParseError, match="swapInstruction"):
        await c.build(SOL, USDC, 1, 50, TAKER)
    bad2 = fixture("build_v2.json")
    bad2["outAmount"] = "-5"
    c2, _ = make(lambda r: httpx.Response(200, json=bad2))
    with pytest.raises(ParseError, match="negative"):
        await c2.build(SOL, USDC, 1, 50, TAKER)


async def test_no_route_400_is_rejected_without_retry():
    c, seen = make(lambda r: httpx.Response(400, json={"error": "No routes found"}))
    with pytest.raises(RejectedError, match="No routes found"):
        await c.build(SOL, USDC, 1, 50, TAKER)
    assert len(seen) == 1


async def test_5xx_is_retried():
    answers = [httpx.Response(503, text="busy"), httpx.Response(200, json=fixture("quote_v1.json"))]
    c, seen = make(lambda r: answers.pop(0))
    assert (await c.quote(SOL, USDC, 100_000_000, 50)).out_amount == 16_198_753
    assert len(seen) == 2


async def test_order_quote_without_taker_reads_price_impact_in_percentage_points():
    c, seen = make(lambda r: httpx.Response(200, json=fixture("order_v2_quote.json")))
    q = await c.order_quote(SOL, USDC, 100_000_000, 50)
    assert seen[0].url.path == "/swap/v2/order" and "taker" not in seen[0].url.params
    assert q.out_amount == 16_198_753 and q.min_out_amount == 16_117_760
    assert q.price_impact_bps == pytest.approx(0.77)  # -0.0077 % -> 0.77 bps adverse


def _answer_with_impact(impact_ratio: str):
    """The documented build answer, its impact set and its slippage echoing the request (as
    Jupiter's does)."""

    def handler(req: httpx.Request) -> httpx.Response:
        raw = fixture("build_v2.json")
        raw["priceImpactPct"] = impact_ratio
        raw["slippageBps"] = int(req.url.params["slippageBps"])
        return httpx.Response(200, json=raw)

    return handler


async def test_build_for_impact_asks_again_only_when_the_quotes_impact_needs_more_room():
    asked: list[float | None] = []

    def slippage_for(impact: float | None) -> int:
        asked.append(impact)
        return 80 if impact is None else 50 + round(impact)

    c, seen = make(_answer_with_impact("0.0012"))  # 12 bps: 62 <= the 80 of the estimate
    swap, slip = await c.build_for_impact(SOL, USDC, 100_000_000, TAKER, slippage_for)
    assert slip == 80 and [r.url.params["slippageBps"] for r in seen] == ["80"]
    assert swap.quote.slippage_bps == 80 and asked == [None, pytest.approx(12)]
    asked.clear()
    c, seen = make(_answer_with_impact("0.0150"))  # 150 bps: the route needs 200
    swap, slip = await c.build_for_impact(SOL, USDC, 100_000_000, TAKER, slippage_for)
    assert slip == 200 and [r.url.params["slippageBps"] for r in seen] == ["80", "200"]
    assert swap.quote.slippage_bps == 200
