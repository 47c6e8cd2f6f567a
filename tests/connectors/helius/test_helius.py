"""Helius enhanced transactions: a real pump.fun swap, the docs' example, dev sells, LP and
pool events, large transfers, bad payloads, and the polling cursor."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import MissingApiKeyError, ParseError
from memesnipe.connectors.helius.connector import HeliusConnector
from memesnipe.connectors.helius.parse import parse_enhanced
from memesnipe.settings import load_settings
from memesnipe.streams.market import OnChainKind, TradeDirection

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "helius"
TOKEN = "DgWA3F1w6fzhf4jtphvBAcSqbK9iXHqmMRH6Sr1Gpump"
BUYER = "4bHUoZY36hmtW1FbJ1XJ5umWmFWXxx9voAe94M8PWNpL"
CURVE = "6JxtrwtV3uB7PCrADNvZV3yTs4RbJ74CQNZHR9meScvT"


def holdings(owner: str, mint: str) -> dict:
    """The Solana RPC docs' jsonParsed getTokenAccountsByOwner response (tests/fixtures/solana_rpc),
    its account's owner and mint set to ours: 420 000 000 tokens held."""
    doc = json.loads((FIX.parent / "solana_rpc" / "getTokenAccountsByOwner_jsonParsed.json").read_text())
    info = doc["result"]["value"][0]["account"]["data"]["parsed"]["info"]
    info["owner"], info["mint"] = owner, mint
    return doc


def swap() -> list[dict]:
    return json.loads((FIX / "webhook_swap_pump_fun.json").read_text())


def test_real_pump_fun_swap_becomes_a_swap_event_at_block_time() -> None:
    [ev] = parse_enhanced(swap())
    assert ev.kind is OnChainKind.SWAP and ev.mint == TOKEN and ev.wallet == BUYER
    assert ev.amount_tokens == pytest.approx(71334900.280873)
    assert ev.signature.startswith("49aJJJXK") and ev.ts == datetime.fromtimestamp(1786997480, UTC)


def test_creator_sending_the_token_in_a_swap_is_a_dev_sell() -> None:
    evs = parse_enhanced(swap(), creators={TOKEN: CURVE})
    assert sorted(e.kind for e in evs) == [OnChainKind.DEV_SELL, OnChainKind.SWAP]
    dev = next(e for e in evs if e.kind is OnChainKind.DEV_SELL)
    assert dev.wallet == CURVE and dev.amount_tokens == pytest.approx(71334900.280873)
    assert parse_enhanced(swap(), creators={TOKEN: BUYER})[0].kind is OnChainKind.SWAP  # buyer, not seller


@pytest.mark.parametrize(
    ("tx_type", "kind"),
    [
        ("CREATE", OnChainKind.NEW_MINT),
        ("CREATE_POOL", OnChainKind.NEW_POOL),
        ("ADD_LIQUIDITY", OnChainKind.LP_ADD),
        ("WITHDRAW_LIQUIDITY", OnChainKind.LP_REMOVE),
    ],
)
def test_lifecycle_types_map_to_their_kind(tx_type: str, kind: OnChainKind) -> None:
    txs = swap()
    txs[0]["type"] = tx_type
    assert [e.kind for e in parse_enhanced(txs)] == [kind]


def test_large_transfers_only_above_the_threshold() -> None:
    txs = swap()
    txs[0]["type"] = "TRANSFER"
    assert parse_enhanced(txs) == []  # no threshold set
    [ev] = parse_enhanced(txs, large_transfer_tokens=1_000_000)
    assert ev.kind is OnChainKind.TRANSFER and ev.wallet == CURVE and ev.recipients == 1
    assert parse_enhanced(txs, large_transfer_tokens=1e9) == []


def test_docs_example_failed_and_unknown_type_yields_nothing() -> None:
    doc = json.loads((FIX / "enhanced_tx_doc_example.json").read_text())
    assert parse_enhanced(doc) == []
    doc[0]["type"] = "SWAP"  # still failed: transactionError is set
    assert parse_enhanced(doc) == []
    doc[0]["transactionError"] = None
    assert [e.mint for e in parse_enhanced(doc)] == ["DsfCsbbPH77p6yeLS1i4ag9UA5gP9xWSvdCx72FJjLsx"]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda t: t[0].pop("timestamp"), "timestamp"),
        (lambda t: t[0]["tokenTransfers"][0].update(tokenAmount="many"), "tokenAmount"),
        (lambda t: t.__setitem__(0, "not an object"), "EnhancedTransactions"),
    ],
)
def test_malformed_transactions_raise(mutate, needle) -> None:
    txs = swap()
    mutate(txs)
    with pytest.raises(ParseError, match=needle):
        parse_enhanced(txs)


def test_a_webhook_object_instead_of_a_list_is_refused() -> None:
    with pytest.raises(ParseError):
        parse_enhanced(swap()[0])


def test_missing_key_names_the_setting() -> None:
    with pytest.raises(MissingApiKeyError, match="MEMESNIPE_CONNECTORS__HELIUS_API_KEY"):
        HeliusConnector(load_settings())


async def test_polling_resumes_after_the_newest_signature_seen() -> None:
    seen: list[httpx.Request] = []
    newer = copy.deepcopy(swap()[0]) | {"signature": "5newer", "slot": 439916300, "timestamp": 1786997490}
    pages = [swap(), [newer]]

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=pages.pop(0))

    settings = load_settings(
        connectors={"helius_api_key": "hk", "helius_addresses": "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"}
    )
    conn = HeliusConnector(settings, transport=httpx.MockTransport(handler))
    a = [e for i in await conn.fetch() for e in conn.parse(i)]
    b = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.aclose()
    assert seen[0].url.path == "/v0/addresses/6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P/transactions"
    assert seen[0].url.params["api-key"] == "hk" and "until" not in seen[0].url.params
    assert seen[1].url.params["until"] == swap()[0]["signature"]
    assert [e.signature for e in a] == [swap()[0]["signature"]] and [e.signature for e in b] == ["5newer"]


# --- the trader's side of a swap: direction and SOL leg -------------------------------------
# The real webhook swap above is a BUY of 4 SOL: the buyer's nativeBalanceChange (-4 032 044 280)
# pays the network fee (30 005 000) and the rent of the token account it opened (2 039 280,
# credited to that account, whose tokenBalanceChanges name the buyer as userAccount).


def sell_of_the_real_swap() -> list[dict]:
    """The real swap mirrored into a SELL: the same documented fields, the token transfer's
    direction swapped and the trader's lamport change made a gain (values ours)."""
    txs = swap()
    tx = txs[0]
    t = tx["tokenTransfers"][0]
    t["fromUserAccount"], t["toUserAccount"] = BUYER, CURVE
    t["fromTokenAccount"], t["toTokenAccount"] = t["toTokenAccount"], t["fromTokenAccount"]
    tx["accountData"][0]["nativeBalanceChange"] = 3_900_000_000 - tx["fee"]
    tx["accountData"][1]["nativeBalanceChange"] = -3_900_000_000
    tx["accountData"][2]["nativeBalanceChange"] = 0
    return txs


def test_real_swap_is_a_buy_of_four_sol_net_of_fee_and_token_account_rent() -> None:
    [ev] = parse_enhanced(swap())
    assert ev.direction is TradeDirection.BUY and ev.wallet == BUYER
    assert ev.amount_lamports == 4_000_000_000
    assert ev.amount_tokens == pytest.approx(71334900.280873)


def test_the_token_leaving_the_trader_is_a_sell_and_the_sol_it_got_is_its_leg() -> None:
    [ev] = parse_enhanced(sell_of_the_real_swap())
    assert ev.direction is TradeDirection.SELL and ev.amount_lamports == 3_900_000_000


def test_without_account_data_the_native_transfers_give_the_sol_leg() -> None:
    """nativeTransfers as documented (fromUserAccount, toUserAccount, amount in lamports)."""
    txs = swap()
    del txs[0]["accountData"]
    txs[0]["nativeTransfers"] = [
        {"fromUserAccount": BUYER, "toUserAccount": CURVE, "amount": 3_950_617_283},
        {
            "fromUserAccount": BUYER,
            "toUserAccount": "FeeRecipient1111111111111111111111111111111",
            "amount": 49_382_717,
        },
    ]
    [ev] = parse_enhanced(txs)
    assert ev.direction is TradeDirection.BUY and ev.amount_lamports == 4_000_000_000
    txs[0].pop("nativeTransfers")
    [ev] = parse_enhanced(txs)  # nothing says what SOL moved: direction known, no SOL leg
    assert ev.direction is TradeDirection.BUY and ev.amount_lamports == 0


def test_a_configured_creator_paying_the_fee_gets_its_sol_leg_on_the_dev_sell() -> None:
    evs = parse_enhanced(sell_of_the_real_swap(), creators={TOKEN: BUYER})
    dev = next(e for e in evs if e.kind is OnChainKind.DEV_SELL)
    assert dev.direction is TradeDirection.SELL and dev.amount_lamports == 3_900_000_000


def test_a_creation_names_the_creator_and_what_it_received() -> None:
    txs = swap()
    txs[0]["type"] = "CREATE"
    [ev] = parse_enhanced(txs)
    assert ev.kind is OnChainKind.NEW_MINT and ev.wallet == BUYER
    assert ev.wallet_balance_tokens == pytest.approx(71334900.280873) and ev.direction is None


def test_one_sender_to_many_new_holders_is_an_airdrop() -> None:
    """A TRANSFER whose tokenTransfers (the documented objects) go from one wallet to 12 wallets."""
    txs = swap()
    tx = txs[0]
    tx["type"] = "TRANSFER"
    one = tx["tokenTransfers"][0]
    tx["tokenTransfers"] = [
        dict(one, toUserAccount=f"Recipient{i:02d}", tokenAmount=1000.0) for i in range(12)
    ]
    [ev] = parse_enhanced(txs, airdrop_min_recipients=10, large_transfer_tokens=1.0)
    assert ev.kind is OnChainKind.AIRDROP and ev.recipients == 12 and ev.wallet == CURVE
    assert ev.amount_tokens == pytest.approx(12_000.0)
    large = parse_enhanced(txs, airdrop_min_recipients=13, large_transfer_tokens=1.0)
    assert [e.kind for e in large] == [OnChainKind.TRANSFER] * 12  # under the airdrop bar


def test_an_airdrop_helius_does_not_name_is_still_an_airdrop_and_nothing_else() -> None:
    """The same 12-wallet transfer typed UNKNOWN (a multi-send program): AIRDROP; below the bar, or
    a plain large transfer of an unnamed type, nothing (its meaning is unknown)."""
    txs = swap()
    tx = txs[0]
    tx["type"] = "UNKNOWN"
    one = tx["tokenTransfers"][0]
    tx["tokenTransfers"] = [
        dict(one, toUserAccount=f"Recipient{i:02d}", tokenAmount=1000.0) for i in range(12)
    ]
    [ev] = parse_enhanced(txs, airdrop_min_recipients=10, large_transfer_tokens=1.0)
    assert (ev.kind, ev.recipients, ev.wallet) == (OnChainKind.AIRDROP, 12, CURVE)
    assert parse_enhanced(txs, airdrop_min_recipients=13, large_transfer_tokens=1.0) == []
    tx["transactionError"] = {"InstructionError": [0, "Custom"]}
    assert parse_enhanced(txs, airdrop_min_recipients=10) == []  # failed: nothing


# --- USD amounts: the SOL legs priced at the same moment's SOL/USD ---------------------------


def test_an_lp_add_carries_the_sol_side_deposited_and_a_removal_the_sol_side_withdrawn() -> None:
    txs = swap()
    txs[0]["type"] = "ADD_LIQUIDITY"
    [add] = parse_enhanced(txs)  # the real transaction's wallet sends 4 SOL (net of fee and rent)
    assert add.kind is OnChainKind.LP_ADD and add.amount_lamports == 4_000_000_000
    txs = sell_of_the_real_swap()
    txs[0]["type"] = "WITHDRAW_LIQUIDITY"
    [rm] = parse_enhanced(txs)
    assert rm.kind is OnChainKind.LP_REMOVE and rm.amount_lamports == 3_900_000_000
    txs[0]["type"] = "ADD_LIQUIDITY"  # SOL coming back is no deposit
    assert parse_enhanced(txs)[0].amount_lamports == 0


@pytest.mark.integration
async def test_the_poller_prices_sol_legs_with_the_sol_price_topic(isolated_env) -> None:
    from memesnipe.connectors.publisher import Publisher
    from memesnipe.streams.base import SOL_MINT
    from memesnipe.streams.market import SolPriceEvent
    from tests.support.kafka import create_topics

    await create_topics(isolated_env, ["sol_price"])
    base = isolated_env.settings()
    settings = base.model_copy(update={"connectors": base.connectors.model_copy(update={
        "helius_api_key": "hk", "helius_addresses": "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
        "creator_wallets": f"{TOKEN}={BUYER}"})})  # fmt: skip
    block = datetime.fromtimestamp(swap()[0]["timestamp"], UTC)
    sells = sell_of_the_real_swap()
    sells[0]["signature"] = "5sell"  # a later transaction (one signature is published once)
    pages = [swap(), sells]

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path.startswith("/v0/"):
            return httpx.Response(200, json=pages.pop(0))
        return httpx.Response(200, json=holdings(BUYER, TOKEN))  # the creator's balance after its sale

    conn = HeliusConnector(settings, transport=httpx.MockTransport(handler))
    conn.sol_follower.every_s = 0.0
    try:
        [unpriced] = [e for i in await conn.fetch() for e in conn.parse(i)]  # no SOL price yet
        assert unpriced.amount_lamports == 4_000_000_000 and unpriced.amount_usd == 0.0
        async with Publisher(settings) as pub:
            await pub.publish("sol_price", SOL_MINT, SolPriceEvent(mint=SOL_MINT, ts=block, price_usd=150.0))
            await pub.flush()
        evs = [e for i in await conn.fetch() for e in conn.parse(i)]
    finally:
        await conn.aclose()
    dev = next(e for e in evs if e.kind is OnChainKind.DEV_SELL)  # the creator's sale, in USD
    assert dev.amount_lamports == 3_900_000_000 and dev.amount_usd == 585.0
    assert dev.wallet_balance_tokens == 420_000_000.0
    assert next(e for e in evs if e.kind is OnChainKind.SWAP).amount_usd == 585.0
