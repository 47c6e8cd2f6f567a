"""Live submission and fills against documented Jito and Solana RPC payloads (MockTransport):
bundle first, RPC fallback when the block engine refuses, polling to an outcome, and the fill from
the wallet's real balance changes in the landed transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.agents.submission import Submission, Submitter
from memesnipe.agents.submitter import live_fill
from memesnipe.connectors.errors import RejectedError
from memesnipe.connectors.http import RetryPolicy
from memesnipe.connectors.jito import JitoClient
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.landed import LandedParseError, landed_amounts
from memesnipe.core.order_plan import Plan
from memesnipe.streams.trading import Intent, OrderState, Side, Venue
from memesnipe.tables.orders import OrderRecord

FIX = Path(__file__).parents[1] / "fixtures"
W = "GkwFnmMDvn3HGMpJpWBg8tgJxr3NxNvg3AXxvXVPbRGJ"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def fx(p: str):
    return json.loads((FIX / p).read_text())


async def _noop(_s):
    return None


def submitter(answers: dict, seen: list, *, fallback: bool = True, timeout_s: float = 30) -> Submitter:
    def handler(req: httpx.Request) -> httpx.Response:
        body = json.loads(req.content)
        seen.append((req.url.host, req.url.path, body["method"], body["params"]))
        ans = answers[body["method"]]
        if callable(ans):
            ans = ans()
        return httpx.Response(200, json=ans)

    t = httpx.MockTransport(handler)
    r = RetryPolicy(attempts=2, base_delay_s=0)
    now = [0.0]

    async def tick(s):
        now[0] += s

    return Submitter(
        jito=JitoClient(transport=t, rate_per_s=1000, retry=r, sleep=_noop),
        rpc=SolanaRpcClient("https://rpc.example", transport=t, rate_per_s=1000),
        rpc_fallback=fallback,
        poll_interval_s=1.0,
        timeout_s=timeout_s,
        sleep=tick,
        clock=lambda: now[0],
    )


async def test_signed_transaction_goes_out_as_a_bundle():
    seen: list = []
    s = submitter({"sendBundle": fx("jito/send_bundle.json")}, seen)
    sub = await s.submit("AQID", "sig")
    assert sub == Submission("jito", fx("jito/send_bundle.json")["result"])
    assert seen == [
        ("mainnet.block-engine.jito.wtf", "/api/v1/bundles", "sendBundle", [["AQID"], {"encoding": "base64"}])
    ]


REFUSED = {
    "jsonrpc": "2.0",
    "error": {"code": -32602, "message": "bundle contains an already processed transaction"},
    "id": 1,
}


async def test_refused_bundle_falls_back_to_rpc_send_transaction():
    seen: list = []
    s = submitter({"sendBundle": REFUSED, "sendTransaction": fx("solana_rpc/sendTransaction.json")}, seen)
    sub = await s.submit("AQID", "")
    assert sub.via == "rpc" and sub.ref == fx("solana_rpc/sendTransaction.json")["result"]
    host, _, method, params = seen[-1]
    assert host == "rpc.example" and method == "sendTransaction"
    assert params[0] == "AQID" and params[1]["encoding"] == "base64" and params[1]["skipPreflight"] is True


async def test_without_fallback_the_refusal_is_raised():
    with pytest.raises(RejectedError, match="already processed"):
        await submitter({"sendBundle": REFUSED}, [], fallback=False).submit("AQID", "")


def _inflight(status, slot=None):
    doc = fx("jito/get_inflight_bundle_statuses.json")
    doc["result"]["value"] = [dict(doc["result"]["value"][0], status=status, landed_slot=slot)]
    return doc


async def test_bundle_outcomes_landed_failed_expired():
    bid = _inflight("Pending")["result"]["value"][0]["bundle_id"]
    final = fx("jito/get_bundle_statuses.json")
    final["result"]["value"][0]["bundle_id"] = bid
    seq = [_inflight("Pending"), _inflight("Landed", 242804011)]
    s = submitter({"getInflightBundleStatuses": lambda: seq.pop(0), "getBundleStatuses": final}, [])
    out = await s.outcome(Submission("jito", bid))
    assert out.state is OrderState.LANDED and out.slot == 242804011
    failed = await submitter({"getInflightBundleStatuses": _inflight("Failed")}, []).outcome(
        Submission("jito", bid)
    )
    assert failed.state is OrderState.FAILED
    seen: list = []
    expired = await submitter({"getInflightBundleStatuses": _inflight("Pending")}, seen, timeout_s=5).outcome(
        Submission("jito", bid)
    )
    assert expired.state is OrderState.EXPIRED and "not landed" in expired.reason
    assert len(seen) == 6  # polled every second until the 5 s timeout


async def test_rpc_submission_outcome_from_signature_statuses():
    s = submitter({"getSignatureStatuses": fx("solana_rpc/getSignatureStatuses.json")}, [])
    out = await s.outcome(Submission("rpc", "sig"))
    assert out.state is OrderState.LANDED and out.slot == 48
    errored = fx("solana_rpc/getSignatureStatuses.json")
    errored["result"]["value"][0]["err"] = {"InstructionError": [2, {"Custom": 6001}]}
    out2 = await submitter({"getSignatureStatuses": errored}, []).outcome(Submission("rpc", "sig"))
    assert out2.state is OrderState.FAILED and "6001" in out2.reason


def test_landed_amounts_from_documented_get_transaction_shape():
    res = fx("jupiter/get_transaction_swap.json")["result"]
    a = landed_amounts(res, W, USDC)
    assert a.token_delta == 16_198_753 and a.fee_lamports == 5_020 and a.slot == 299283770
    assert a.sol_delta_lamports == -(100_000_000 + 10_000 + 5_020 + 2_039_280)
    failed = json.loads(json.dumps(res))
    failed["meta"]["err"] = {"InstructionError": [3, {"Custom": 6001}]}
    with pytest.raises(LandedParseError, match="failed on chain"):
        landed_amounts(failed, W, USDC)
    with pytest.raises(LandedParseError, match="not found"):
        landed_amounts(None, W, USDC)


async def test_landed_reads_get_transaction_with_versioned_support():
    seen: list = []
    s = submitter({"getTransaction": fx("jupiter/get_transaction_swap.json")}, seen)
    a = await s.landed("sig", W, USDC)
    assert a is not None and a.token_delta == 16_198_753
    assert seen[0][3][1]["maxSupportedTransactionVersion"] == 0


def _record(**kw) -> OrderRecord:
    plan = Plan(
        model="quote",
        qty_tokens=16_198_000,
        notional_lamports=100_000_000,
        price_sol=0.0062,
        price_usd=1.0,
        impact_bps=0.0,
        swap_fee_lamports=0,
        priority_fee_lamports=7_000,
        jito_tip_lamports=10_000,
        drift_fee_lamports=0,
        cu_limit=2_057,
        cu_price_micro_lamports=4_861_448,
        spend_lamports=100_017_000,
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    base = dict(
        order_id="o" * 32,
        mint=USDC,
        instance_id="i",
        family="f",
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=100_000_000,
        state=OrderState.SUBMITTED,
        created_at=now,
        updated_at=now,
        paper=False,
        plan=plan.to_meta(),
        signature="sig",
    )
    base.update(kw)
    return OrderRecord(**base)


def test_live_fill_uses_the_real_balance_changes():
    a = landed_amounts(fx("jupiter/get_transaction_swap.json")["result"], W, USDC)
    f = live_fill(_record(), a, "sig")
    assert f.fill_id == "o" * 32 and not f.paper and f.reason == "live:landed"
    assert f.qty_tokens == 16_198_753  # what arrived, not what was quoted
    assert f.priority_fee_lamports == 5_020 and f.jito_tip_lamports == 10_000
    # SOL out minus the costs reported separately and the new token account's rent deposit
    assert f.notional_lamports == 100_000_000 and f.rent_lamports == 2_039_280
    assert f.price_sol == pytest.approx((100_000_000 / 1e9) / (16_198_753 / 1e6))  # the swap's price
    quoted = live_fill(_record(), None, "sig")
    assert quoted.qty_tokens == 16_198_000 and quoted.reason == "live:quote"


def test_timer_resumes_submitted_live_orders_and_expires_unsigned_ones():
    from datetime import timedelta

    from memesnipe.agents.submitter import due

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    old = now - timedelta(seconds=300)
    submitted = _record(state=OrderState.SUBMITTED, order_id="s")
    stale = _record(state=OrderState.ROUTED, order_id="r", updated_at=old)
    fresh = _record(state=OrderState.ROUTED, order_id="f", updated_at=now)
    paper_sub = _record(state=OrderState.SUBMITTED, order_id="p", paper=True)
    landed = _record(state=OrderState.LANDED, order_id="l", updated_at=old, filled=True)
    pending = _record(state=OrderState.LANDED, order_id="q", updated_at=old)  # fill not read yet
    poll, expire = due([submitted, stale, fresh, paper_sub, landed, pending], now, 120, live=True)
    assert [r.order_id for r in poll] == ["s", "q"] and [r.order_id for r in expire] == ["r"]
    poll2, _ = due([submitted], now, 120, live=False)
    assert poll2 == []


BLOCKHASH = "J7rBdM6AecPDEZp8aPq5iPSNKVkU5Q76F3oAV4eW5wsW"


def _valid(value: bool) -> dict:
    doc = fx("solana_rpc/isBlockhashValid.json")
    doc["result"]["value"] = value
    return doc


def _no_status() -> dict:
    doc = fx("solana_rpc/getSignatureStatuses.json")
    doc["result"]["value"] = [None]
    return doc


async def test_an_unseen_bundle_is_rechecked_until_blockhash_expiry_and_a_late_landing_is_booked():
    bid = _inflight("Pending")["result"]["value"][0]["bundle_id"]
    statuses = [_no_status(), _no_status(), fx("solana_rpc/getSignatureStatuses.json")]
    seen: list = []
    s = submitter(
        {
            "getInflightBundleStatuses": _inflight("Pending"),
            "getSignatureStatuses": lambda: statuses.pop(0),
            "isBlockhashValid": _valid(True),
        },
        seen,
        timeout_s=5,
    )
    out = await s.outcome(Submission("jito", bid), "sig", BLOCKHASH)
    assert out.state is OrderState.LANDED and out.slot == 48 and out.reason == "landed late"
    methods = [m for _, _, m, _ in seen]
    assert methods.count("getSignatureStatuses") == 3 and "isBlockhashValid" in methods
    assert seen[-1][3] == [["sig"], {"searchTransactionHistory": True}]


async def test_a_transaction_that_never_lands_expires_only_once_its_blockhash_has():
    bid = _inflight("Pending")["result"]["value"][0]["bundle_id"]
    valid = [_valid(True), _valid(True), _valid(False)]
    s = submitter(
        {
            "getInflightBundleStatuses": _inflight("Pending"),
            "getSignatureStatuses": _no_status(),
            "isBlockhashValid": lambda: valid.pop(0),
        },
        [],
        timeout_s=5,
    )
    out = await s.outcome(Submission("jito", bid), "sig", BLOCKHASH)
    assert out.state is OrderState.EXPIRED and "blockhash expired, never landed" in out.reason
    assert valid == []  # checked until the documented answer said the blockhash is no longer valid


async def test_the_landed_transaction_is_read_until_the_rpc_can_tell():
    answers = [{"jsonrpc": "2.0", "result": None, "id": 1}, fx("jupiter/get_transaction_swap.json")]
    s = submitter({"getTransaction": lambda: answers.pop(0)}, [])
    read = await s.read_landed("sig", W, USDC)
    assert read.amounts is not None and read.amounts.token_delta == 16_198_753 and not read.failed
    failed = fx("jupiter/get_transaction_swap.json")
    failed["result"]["meta"]["err"] = {"InstructionError": [3, {"Custom": 6001}]}
    read = await submitter({"getTransaction": failed}, []).read_landed("sig", W, USDC)
    assert read.amounts is None and "failed on chain" in read.failed
    unknown = await submitter(
        {"getTransaction": {"jsonrpc": "2.0", "result": None, "id": 1}}, []
    ).read_landed("sig", W, USDC, attempts=3)
    assert unknown.amounts is None and not unknown.failed


def test_a_live_fill_records_its_expectation_and_realised_slippage():
    a = landed_amounts(fx("jupiter/get_transaction_swap.json")["result"], W, USDC)
    f = live_fill(_record(), a, "sig")
    assert f.expected_qty_tokens == 16_198_000 and f.qty_tokens == 16_198_753
    assert f.slippage_bps == pytest.approx(
        (16_198_000 - 16_198_753) / 16_198_000 * 10_000
    )  # better than planned
    worse = live_fill(_record(plan={**_record().plan, "qty_tokens": 17_000_000}), a, "sig")
    assert worse.slippage_bps > 0


def test_the_signed_transactions_blockhash_is_kept_for_the_expiry_check():
    import base64

    from solders.hash import Hash
    from solders.keypair import Keypair

    from memesnipe.agents.submitter import blockhash_of
    from tests.signer.helpers import paper_ixs, unsigned_tx

    me = Keypair().pubkey()
    bh = Hash.from_string(BLOCKHASH)
    raw = unsigned_tx(me, paper_ixs(me), blockhash=bh)
    assert blockhash_of(base64.b64encode(raw).decode()) == BLOCKHASH
    assert blockhash_of("not base64!") == ""


async def test_the_same_bundle_goes_to_every_region_and_one_acceptance_is_enough():
    seen: list = []

    def handler(req: httpx.Request) -> httpx.Response:
        assert json.loads(req.content)["method"] == "sendBundle"
        seen.append(req.url.host)
        if req.url.host.startswith("tokyo"):
            return httpx.Response(200, json=REFUSED)
        return httpx.Response(200, json=fx("jito/send_bundle.json"))

    t = httpx.MockTransport(handler)
    r = RetryPolicy(attempts=1, base_delay_s=0)

    def jito(url: str) -> JitoClient:
        return JitoClient(url, transport=t, rate_per_s=1000, retry=r, sleep=_noop)

    s = Submitter(
        jito=jito("https://mainnet.block-engine.jito.wtf"),
        regions=[
            jito("https://tokyo.mainnet.block-engine.jito.wtf"),
            jito("https://ny.mainnet.block-engine.jito.wtf"),
        ],
        rpc=SolanaRpcClient("https://rpc.example", transport=t, rate_per_s=1000),
    )
    sub = await s.submit("AQID", "sig")
    assert sub == Submission("jito", fx("jito/send_bundle.json")["result"])
    assert sorted(seen) == sorted(
        [
            "mainnet.block-engine.jito.wtf",
            "tokyo.mainnet.block-engine.jito.wtf",
            "ny.mainnet.block-engine.jito.wtf",
        ]
    )


async def test_an_rpc_submission_is_rebroadcast_until_confirmed():
    statuses = [_no_status(), _no_status(), fx("solana_rpc/getSignatureStatuses.json")]
    seen: list = []
    s = submitter(
        {
            "sendBundle": REFUSED,
            "sendTransaction": fx("solana_rpc/sendTransaction.json"),
            "getSignatureStatuses": lambda: statuses.pop(0),
        },
        seen,
    )
    sub = await s.submit("AQID", "")
    out = await s.outcome(sub)
    assert out.state is OrderState.LANDED
    sends = [p for _, _, m, p in seen if m == "sendTransaction"]
    assert len(sends) == 4 and all(p[0] == "AQID" for p in sends)  # first send + one per poll


def test_extra_regions_are_validated_and_deduplicated():
    from memesnipe.settings import JitoSettings

    assert JitoSettings(extra_regions="tokyo, ny,tokyo,mainnet").extra_region_list == ["tokyo", "ny"]
    with pytest.raises(ValueError, match="mars"):
        JitoSettings(extra_regions="mars")
