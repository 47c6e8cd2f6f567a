"""Drift v2 order instructions decoded by hand (memesnipe.signer.drift) against driftpy's real
encoder: the router's DriftPerpBuilder and anchorpy with driftpy's bundled IDL. Every field
round-trips; malformed data, foreign accounts and lookup-table authorities are refused."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import driftpy
import pytest
from anchorpy import Context
from driftpy.addresses import get_user_account_public_key, get_user_stats_account_public_key
from driftpy.constants.config import DRIFT_PROGRAM_ID
from driftpy.constants.perp_markets import mainnet_perp_market_configs
from driftpy.types import (
    MarketType,
    OrderParams,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
    PostOnlyParams,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey

from memesnipe.connectors.drift.orders import DriftPerpBuilder, _program
from memesnipe.signer import drift as D
from memesnipe.signer import programs as P
from memesnipe.signer.drift import DriftCancel, DriftPerpOrder, decode_drift, drift_user_account
from memesnipe.signer.effects import EffectError, PerpDirection, PerpOrderEffect
from memesnipe.signer.jupiter import anchor_discriminator
from tests.support.kafka import REPO

IDL_PATH = Path(driftpy.__file__).parent / "idl" / "drift.json"
ME = Keypair.from_seed(bytes(range(32))).pubkey()
WALLET = bytes(ME)
OTHER = Keypair.from_seed(bytes(range(1, 33))).pubkey()
SETTINGS = settings(max_examples=150, deadline=None)

U8, U16, U32 = st.integers(0, 2**8 - 1), st.integers(0, 2**16 - 1), st.integers(0, 2**32 - 1)
U64, I64, I32 = st.integers(0, 2**64 - 1), st.integers(-(2**63), 2**63 - 1), st.integers(-(2**31), 2**31 - 1)

ORDER_TYPES = [
    ("market", OrderType.Market),
    ("limit", OrderType.Limit),
    ("trigger_market", OrderType.TriggerMarket),
    ("trigger_limit", OrderType.TriggerLimit),
    ("oracle", OrderType.Oracle),
]
POST_ONLY = [
    ("none", PostOnlyParams.NONE),
    ("must_post_only", PostOnlyParams.MustPostOnly),
    ("try_post_only", PostOnlyParams.TryPostOnly),
    ("slide", PostOnlyParams.Slide),
]
TRIGGERS = [
    ("above", OrderTriggerCondition.Above),
    ("below", OrderTriggerCondition.Below),
    ("triggered_above", OrderTriggerCondition.TriggeredAbove),
    ("triggered_below", OrderTriggerCondition.TriggeredBelow),
]
DIRECTIONS = [(PerpDirection.LONG, PositionDirection.Long), (PerpDirection.SHORT, PositionDirection.Short)]
MAINNET_PERPS = sorted(c.market_index for c in mainnet_perp_market_configs)


# --- building and compiling --------------------------------------------------------------------


def accounts_for(name: str, authority: Pubkey = ME, user: Pubkey | None = None) -> dict[str, Pubkey]:
    accs = {
        "state": Pubkey.new_unique(),
        "user": user or get_user_account_public_key(DRIFT_PROGRAM_ID, authority, 0),
        "authority": authority,
    }
    if name == "place_and_take_perp_order":
        accs["user_stats"] = get_user_stats_account_public_key(DRIFT_PROGRAM_ID, authority)
    return accs


def anchor_ix(name: str, *args: Any, authority: Pubkey = ME, user: Pubkey | None = None) -> Instruction:
    """The instruction as driftpy's IDL + anchorpy encode it."""
    return _program().instruction[name](*args, ctx=Context(accounts=accounts_for(name, authority, user)))


def compiled(ix: Instruction, payer: Pubkey = ME) -> tuple[bytes, bytes, list[bytes]]:
    """(data, account indexes, static keys) of the instruction in a compiled v0 message."""
    msg = MessageV0.try_compile(payer, [ix], [], Hash.new_unique())
    cix = msg.instructions[0]
    return bytes(cix.data), bytes(cix.accounts), [bytes(k) for k in msg.account_keys]


def decode(ix: Instruction, **kw: Any) -> DriftPerpOrder | DriftCancel:
    data, accounts, keys = compiled(ix)
    return decode_drift(data, accounts, keys, WALLET, **kw)


@st.composite
def order_params(draw: st.DrawFn) -> tuple[OrderParams, dict[str, Any]]:
    """Any perp OrderParams driftpy can encode, with the effect fields we expect back."""
    ot_name, ot = draw(st.sampled_from(ORDER_TYPES))
    direction, dr = draw(st.sampled_from(DIRECTIONS))
    po_name, po = draw(st.sampled_from(POST_ONLY))
    tc_name, tc = draw(st.sampled_from(TRIGGERS))
    ioc = draw(st.booleans())
    f: dict[str, Any] = {
        "user_order_id": draw(U8),
        "base_asset_amount": draw(U64),
        "price": draw(U64),
        "market_index": draw(U16),
        "reduce_only": draw(st.booleans()),
        "max_ts": draw(st.none() | I64),
        "trigger_price": draw(st.none() | U64),
        "oracle_price_offset": draw(st.none() | I32),
        "auction_duration": draw(st.none() | U8),
        "auction_start_price": draw(st.none() | I64),
        "auction_end_price": draw(st.none() | I64),
    }
    params = OrderParams(
        order_type=ot(),
        market_type=MarketType.Perp(),
        direction=dr(),
        post_only=po(),
        trigger_condition=tc(),
        bit_flags=D.BIT_IMMEDIATE_OR_CANCEL if ioc else 0,
        **f,
    )
    expected = {
        "order_type": ot_name,
        "direction": direction,
        "post_only": po_name,
        "trigger_condition": tc_name,
        "immediate_or_cancel": ioc,
        "base_amount": f.pop("base_asset_amount"),
        **f,
    }
    return params, expected


def effect_fields(e: DriftPerpOrder) -> dict[str, Any]:
    return {k: getattr(e, k) for k in DriftPerpOrder.__dataclass_fields__}


# --- the layout is driftpy's IDL ---------------------------------------------------------------


def test_layout_transcribed_from_driftpys_idl() -> None:
    idl = json.loads(IDL_PATH.read_text())
    assert idl["version"] == D.IDL_VERSION
    types = {t["name"]: t["type"] for t in idl["types"]}
    assert [(f["name"], f["type"]) for f in types["OrderParams"]["fields"]] == [
        ("orderType", {"defined": "OrderType"}),
        ("marketType", {"defined": "MarketType"}),
        ("direction", {"defined": "PositionDirection"}),
        ("userOrderId", "u8"),
        ("baseAssetAmount", "u64"),
        ("price", "u64"),
        ("marketIndex", "u16"),
        ("reduceOnly", "bool"),
        ("postOnly", {"defined": "PostOnlyParam"}),
        ("bitFlags", "u8"),
        ("maxTs", {"option": "i64"}),
        ("triggerPrice", {"option": "u64"}),
        ("triggerCondition", {"defined": "OrderTriggerCondition"}),
        ("oraclePriceOffset", {"option": "i32"}),
        ("auctionDuration", {"option": "u8"}),
        ("auctionStartPrice", {"option": "i64"}),
        ("auctionEndPrice", {"option": "i64"}),
    ]

    def variants(name: str) -> list[str]:
        return [v["name"] for v in types[name]["variants"]]

    def snake(s: str) -> str:
        return "".join("_" + c.lower() if c.isupper() else c for c in s).lstrip("_")

    assert [snake(v) for v in variants("OrderType")] == list(D.ORDER_TYPES)
    assert [snake(v) for v in variants("MarketType")] == list(D.MARKET_TYPES)
    assert [snake(v) for v in variants("PositionDirection")] == [d.value for d in D.DIRECTIONS]
    assert [snake(v) for v in variants("PostOnlyParam")] == list(D.POST_ONLY)
    assert [snake(v) for v in variants("OrderTriggerCondition")] == list(D.TRIGGER_CONDITIONS)
    assert variants("OrderParamsBitFlag") == ["ImmediateOrCancel", "UpdateHighLeverageMode"]

    ixs = {snake(i["name"]): i for i in idl["instructions"]}
    assert set(D._ACCOUNTS) == {
        "place_perp_order",
        "place_and_take_perp_order",
        "cancel_order",
        "cancel_orders",
        "cancel_order_by_user_id",
    }
    for name, (user, authority, needs) in D._ACCOUNTS.items():
        accs = [a["name"] for a in ixs[name]["accounts"]]
        assert (accs[user], accs[authority], len(accs)) == ("user", "authority", needs), name
        assert anchor_discriminator(name) in D._BY_DISC
    assert [(a["name"], a["type"]) for a in ixs["place_and_take_perp_order"]["args"]] == [
        ("params", {"defined": "OrderParams"}),
        ("successCondition", {"option": "u32"}),
    ]
    assert [(a["name"], a["type"]) for a in ixs["cancel_orders"]["args"]] == [
        ("marketType", {"option": {"defined": "MarketType"}}),
        ("marketIndex", {"option": "u16"}),
        ("direction", {"option": {"defined": "PositionDirection"}}),
    ]
    assert [a["type"] for a in ixs["cancel_order"]["args"]] == [{"option": "u32"}]
    assert [a["type"] for a in ixs["cancel_order_by_user_id"]["args"]] == ["u8"]


@settings(max_examples=40, deadline=None)
@given(sub=U16, seed=st.binary(min_size=32, max_size=32))
def test_user_account_is_driftpys_pda(sub: int, seed: bytes) -> None:
    owner = Keypair.from_seed(seed).pubkey()
    assert drift_user_account(bytes(owner), sub) == bytes(
        get_user_account_public_key(DRIFT_PROGRAM_ID, owner, sub)
    )
    assert P.DRIFT_V2 == DRIFT_PROGRAM_ID


def test_decoder_imports_neither_driftpy_nor_anchorpy() -> None:
    code = "import sys, memesnipe.signer.drift; print(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert "driftpy" not in out.stdout and "anchorpy" not in out.stdout and "solana'" not in out.stdout


# --- round trips ---------------------------------------------------------------------------------


@SETTINGS
@given(
    market=st.sampled_from(MAINNET_PERPS),
    short=st.booleans(),
    base=st.integers(1, 2**63),
    reduce_only=st.booleans(),
    price_micro=st.integers(1, 10**12),
    auction=U8,
    uid=st.integers(0, 10_000),
)
def test_router_builder_orders_round_trip(
    market: int, short: bool, base: int, reduce_only: bool, price_micro: int, auction: int, uid: int
) -> None:
    ix = DriftPerpBuilder("mainnet").place_perp_order_ix(
        ME,
        market_index=market,
        short=short,
        base_amount=base,
        reduce_only=reduce_only,
        limit_price_usd=price_micro / 1e6,
        auction_duration=auction,
        user_order_id=uid,
    )
    e = decode(ix)
    assert isinstance(e, DriftPerpOrder) and isinstance(e, PerpOrderEffect)
    assert e.instruction == "place_perp_order" and e.order_type == "market"
    assert e.market_index == market and e.base_amount == base and e.reduce_only is reduce_only
    assert e.direction == (PerpDirection.SHORT if short else PerpDirection.LONG)
    assert e.price == round(price_micro / 1e6 * 1e6) and e.auction_duration == auction
    assert e.user_order_id == uid % 256 and e.post_only == "none" and not e.immediate_or_cancel
    assert e.max_ts is e.trigger_price is e.oracle_price_offset is None
    assert e.auction_start_price is e.auction_end_price is e.success_condition is None


@SETTINGS
@given(p=order_params())
def test_place_perp_order_every_field_round_trips(p: tuple[OrderParams, dict[str, Any]]) -> None:
    params, expected = p
    e = decode(anchor_ix("place_perp_order", params))
    assert isinstance(e, DriftPerpOrder)
    assert effect_fields(e) == {"instruction": "place_perp_order", "success_condition": None, **expected}


@SETTINGS
@given(p=order_params(), success=st.none() | U32)
def test_place_and_take_every_field_round_trips(
    p: tuple[OrderParams, dict[str, Any]], success: int | None
) -> None:
    params, expected = p
    ix = anchor_ix("place_and_take_perp_order", params, success)
    ix = Instruction(ix.program_id, ix.data, [*ix.accounts, AccountMeta(Pubkey.new_unique(), False, True)])
    e = decode(ix)  # a maker in the remaining accounts is fine
    assert isinstance(e, DriftPerpOrder)
    assert effect_fields(e) == {
        "instruction": "place_and_take_perp_order",
        "success_condition": success,
        **expected,
    }


@SETTINGS
@given(
    order_id=st.none() | U32,
    uid=U8,
    market_type=st.none() | st.sampled_from([("spot", MarketType.Spot), ("perp", MarketType.Perp)]),
    market_index=st.none() | U16,
    direction=st.none() | st.sampled_from(DIRECTIONS),
)
def test_cancels_round_trip(
    order_id: int | None,
    uid: int,
    market_type: tuple[str, Any] | None,
    market_index: int | None,
    direction: tuple[PerpDirection, Any] | None,
) -> None:
    assert decode(anchor_ix("cancel_order", order_id)) == DriftCancel("cancel_order", order_id=order_id)
    assert decode(anchor_ix("cancel_order_by_user_id", uid)) == DriftCancel(
        "cancel_order_by_user_id", user_order_id=uid
    )
    ix = anchor_ix(
        "cancel_orders",
        market_type and market_type[1](),
        market_index,
        direction and direction[1](),
    )
    assert decode(ix) == DriftCancel(
        "cancel_orders",
        market_type=market_type and market_type[0],
        market_index=market_index,
        direction=direction and direction[0],
    )


def test_sub_account_user_needs_to_be_configured() -> None:
    ix = DriftPerpBuilder("mainnet", sub_account_id=3).place_perp_order_ix(
        ME, market_index=0, short=False, base_amount=10**9, reduce_only=False, limit_price_usd=150.0
    )
    with pytest.raises(EffectError, match="user account is not our Drift user"):
        decode(ix)
    ours = frozenset({drift_user_account(WALLET, 0), drift_user_account(WALLET, 3)})
    e = decode(ix, user_accounts=ours)
    assert isinstance(e, DriftPerpOrder) and e.price == 150_000_000


# --- malformed data ------------------------------------------------------------------------------


def all_instructions(params: OrderParams) -> list[Instruction]:
    return [
        anchor_ix("place_perp_order", params),
        anchor_ix("place_and_take_perp_order", params, 7),
        anchor_ix("place_and_take_perp_order", params, None),
        anchor_ix("cancel_order", 5),
        anchor_ix("cancel_order", None),
        anchor_ix("cancel_orders", MarketType.Perp(), 3, PositionDirection.Short()),
        anchor_ix("cancel_orders", None, None, None),
        anchor_ix("cancel_order_by_user_id", 9),
    ]


@settings(max_examples=30, deadline=None)
@given(p=order_params())
def test_truncated_data_refused_at_every_length(p: tuple[OrderParams, dict[str, Any]]) -> None:
    for ix in all_instructions(p[0]):
        data, accounts, keys = compiled(ix)
        decode_drift(data, accounts, keys, WALLET)
        for cut in range(8, len(data)):
            with pytest.raises(EffectError, match="data truncated at byte"):
                decode_drift(data[:cut], accounts, keys, WALLET)
        for cut in range(8):
            with pytest.raises(EffectError, match="not allowed"):
                decode_drift(data[:cut], accounts, keys, WALLET)


@settings(max_examples=30, deadline=None)
@given(p=order_params(), extra=st.binary(min_size=1, max_size=40))
def test_trailing_bytes_refused(p: tuple[OrderParams, dict[str, Any]], extra: bytes) -> None:
    for ix in all_instructions(p[0]):
        data, accounts, keys = compiled(ix)
        with pytest.raises(EffectError, match=rf"{len(extra)} trailing byte\(s\) after the arguments"):
            decode_drift(data + extra, accounts, keys, WALLET)


def full_params(**over: Any) -> OrderParams:
    kw: dict[str, Any] = {
        "order_type": OrderType.Limit(),
        "market_type": MarketType.Perp(),
        "direction": PositionDirection.Long(),
        "base_asset_amount": 10**9,
        "market_index": 4,
        "price": 20_000_000,
        "max_ts": 1,
        "trigger_price": 2,
        "oracle_price_offset": -3,
        "auction_duration": 4,
        "auction_start_price": 5,
        "auction_end_price": 6,
    }
    return OrderParams(**(kw | over))


# Byte offsets (after the discriminator) of OrderParams with every Option Some (full_params).
OFFSETS = {
    "order_type": 0,
    "market_type": 1,
    "direction": 2,
    "reduce_only": 22,
    "post_only": 23,
    "bit_flags": 24,
    "max_ts": 25,
    "trigger_price": 34,
    "trigger_condition": 43,
    "oracle_price_offset": 44,
    "auction_duration": 49,
    "auction_start_price": 51,
    "auction_end_price": 60,
}


@pytest.mark.parametrize("name", ["place_perp_order", "place_and_take_perp_order"])
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("order_type", 5, "unknown OrderType variant 5 for order_type"),
        ("order_type", 255, "unknown OrderType variant 255 for order_type"),
        ("market_type", 2, "unknown MarketType variant 2 for market_type"),
        ("market_type", 0, "market_type spot (only perp orders)"),
        ("direction", 2, "unknown PositionDirection variant 2 for direction"),
        ("reduce_only", 2, "invalid bool 2 for reduce_only"),
        ("post_only", 4, "unknown PostOnlyParam variant 4 for post_only"),
        ("bit_flags", 0x04, "unknown bit_flags 0x04"),
        ("bit_flags", 0x81, "unknown bit_flags 0x80"),
        ("bit_flags", 0x02, "UpdateHighLeverageMode"),
        ("bit_flags", 0x03, "UpdateHighLeverageMode"),
        ("max_ts", 2, "invalid Option tag 2 for max_ts"),
        ("trigger_price", 255, "invalid Option tag 255 for trigger_price"),
        ("trigger_condition", 4, "unknown OrderTriggerCondition variant 4 for trigger_condition"),
        ("oracle_price_offset", 2, "invalid Option tag 2 for oracle_price_offset"),
        ("auction_duration", 2, "invalid Option tag 2 for auction_duration"),
        ("auction_start_price", 2, "invalid Option tag 2 for auction_start_price"),
        ("auction_end_price", 2, "invalid Option tag 2 for auction_end_price"),
    ],
)
def test_corrupted_order_params_refused(name: str, field: str, value: int, reason: str) -> None:
    args = (full_params(),) if name == "place_perp_order" else (full_params(), 1)
    data, accounts, keys = compiled(anchor_ix(name, *args))
    e = decode_drift(data, accounts, keys, WALLET)
    assert isinstance(e, DriftPerpOrder) and e.auction_end_price == 6
    bad = bytearray(data)
    bad[8 + OFFSETS[field]] = value
    with pytest.raises(EffectError, match=f"drift {name}: .*{re.escape(reason)}"):
        decode_drift(bytes(bad), accounts, keys, WALLET)


def test_spot_order_refused_as_encoded_by_driftpy() -> None:
    ix = anchor_ix("place_perp_order", full_params(market_type=MarketType.Spot()))
    with pytest.raises(EffectError, match=r"market_type spot \(only perp orders\)"):
        decode(ix)


def test_immediate_or_cancel_flag_decoded() -> None:
    e = decode(anchor_ix("place_perp_order", full_params(bit_flags=1)))
    assert isinstance(e, DriftPerpOrder) and e.immediate_or_cancel
    with pytest.raises(EffectError, match="UpdateHighLeverageMode"):
        decode(anchor_ix("place_perp_order", full_params(bit_flags=2)))


def test_success_condition_bad_option_tag_refused() -> None:
    data, accounts, keys = compiled(anchor_ix("place_and_take_perp_order", full_params(), 1))
    with pytest.raises(EffectError, match="invalid Option tag 3 for success_condition"):
        decode_drift(data[:-5] + b"\x03" + data[-4:], accounts, keys, WALLET)


@pytest.mark.parametrize(
    ("ix", "at", "value", "reason"),
    [
        (lambda: anchor_ix("cancel_order", 1), 0, 2, "invalid Option tag 2 for order_id"),
        (
            lambda: anchor_ix("cancel_orders", MarketType.Perp(), 1, None),
            1,
            2,
            "unknown MarketType variant 2",
        ),
        (
            lambda: anchor_ix("cancel_orders", MarketType.Perp(), 1, None),
            0,
            2,
            "invalid Option tag 2 for market_type",
        ),
        (lambda: anchor_ix("cancel_orders", None, 1, None), 1, 9, "invalid Option tag 9 for market_index"),
        (
            lambda: anchor_ix("cancel_orders", None, None, PositionDirection.Long()),
            3,
            2,
            "unknown PositionDirection variant 2 for direction",
        ),
    ],
)
def test_corrupted_cancels_refused(ix: Any, at: int, value: int, reason: str) -> None:
    data, accounts, keys = compiled(ix())
    decode_drift(data, accounts, keys, WALLET)
    bad = bytearray(data)
    bad[8 + at] = value
    with pytest.raises(EffectError, match=re.escape(reason)):
        decode_drift(bytes(bad), accounts, keys, WALLET)


@pytest.mark.parametrize(
    "name", ["withdraw", "transfer_deposit", "delete_user", "update_user_delegate", "deposit"]
)
def test_other_drift_instructions_refused(name: str) -> None:
    data, accounts, keys = compiled(anchor_ix("cancel_order", None))
    with pytest.raises(
        EffectError, match=f"drift instruction {anchor_discriminator(name).hex()} not allowed"
    ):
        decode_drift(anchor_discriminator(name) + data[8:], accounts, keys, WALLET)


# --- accounts ------------------------------------------------------------------------------------


def every_kind(authority: Pubkey = ME, user: Pubkey | None = None) -> list[Instruction]:
    kw: dict[str, Any] = {"authority": authority, "user": user}
    return [
        anchor_ix("place_perp_order", full_params(), **kw),
        anchor_ix("place_and_take_perp_order", full_params(), None, **kw),
        anchor_ix("cancel_order", None, **kw),
        anchor_ix("cancel_orders", None, None, None, **kw),
        anchor_ix("cancel_order_by_user_id", 1, **kw),
    ]


def test_wrong_authority_refused() -> None:
    # OTHER signs for OTHER's own user account: a valid Drift instruction, but not our wallet.
    for ix in every_kind(authority=OTHER):
        with pytest.raises(EffectError, match="authority is not our wallet"):
            decode(ix)
    # the router's builder with a foreign authority
    ix = DriftPerpBuilder("mainnet").place_perp_order_ix(
        OTHER, market_index=0, short=True, base_amount=1, reduce_only=True, limit_price_usd=1.0
    )
    with pytest.raises(EffectError, match="drift place_perp_order: authority is not our wallet"):
        decode(ix)


def test_wrong_user_refused() -> None:
    foreign_users = [
        get_user_account_public_key(DRIFT_PROGRAM_ID, OTHER, 0),  # someone else's account
        get_user_account_public_key(DRIFT_PROGRAM_ID, ME, 1),  # our unconfigured sub-account
        Pubkey.new_unique(),
    ]
    for user in foreign_users:
        for ix in every_kind(user=user):
            with pytest.raises(EffectError, match="user account is not our Drift user"):
                decode(ix)


def test_lookup_table_accounts_refused() -> None:
    for ix in every_kind():
        data, accounts, keys = compiled(ix)
        name = decode_drift(data, accounts, keys, WALLET).instruction
        auth, user = D._ACCOUNTS[name][1], D._ACCOUNTS[name][0]
        for slot, who in ((auth, "authority"), (user, "user")):
            acc = bytearray(accounts)
            acc[slot] = len(keys)  # the first loaded (lookup-table) address
            # even if the table's entry were our key, a loaded authority is refused
            with pytest.raises(
                EffectError, match=f"drift {name}: {who} is loaded from an address lookup table"
            ):
                decode_drift(data, bytes(acc), [*keys], WALLET)


def test_too_few_accounts_refused() -> None:
    for ix in every_kind():
        data, accounts, keys = compiled(ix)
        name = decode_drift(data, accounts, keys, WALLET).instruction
        needs = D._ACCOUNTS[name][2]
        with pytest.raises(
            EffectError, match=f"drift {name}: {needs - 1} account\\(s\\), the instruction needs {needs}"
        ):
            decode_drift(data, accounts[: needs - 1], keys, WALLET)


def test_one_million_market_price_is_per_lot() -> None:
    """1MBONK-PERP: the router's limit of $20 per 1M BONK is 20_000_000 in PRICE_PRECISION."""
    b = DriftPerpBuilder("mainnet")
    bonk = b.market_by_symbol("1MBONK-PERP")
    ix = b.place_perp_order_ix(
        ME,
        market_index=bonk.market_index,
        short=False,
        base_amount=3 * 10**9,
        reduce_only=False,
        limit_price_usd=20.0,
    )
    e = decode(ix)
    assert isinstance(e, DriftPerpOrder)
    assert (e.market_index, e.price, e.base_amount) == (4, 20_000_000, 3_000_000_000)  # 3M BONK at $0.00002
