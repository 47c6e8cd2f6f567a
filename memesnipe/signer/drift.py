"""Drift v2 order instructions decoded into their effect, by hand (no anchorpy in the signer).

Layout source: the Drift program's IDL as bundled by driftpy 0.8.89
(``driftpy/idl/drift.json``, ``"version": "2.142.0"``, program
dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH). Anchor data = 8-byte discriminator
(sha256("global:<snake_name>")[:8]) followed by the Borsh-encoded arguments:

- ``place_perp_order(params: OrderParams)``; accounts ``state, user, authority``;
- ``place_and_take_perp_order(params: OrderParams, success_condition: Option<u32>)``; accounts
  ``state, user, user_stats, authority`` (the makers, if any, follow as remaining accounts);
- ``cancel_order(order_id: Option<u32>)`` (None: the user's last order); accounts
  ``state, user, authority``;
- ``cancel_orders(market_type: Option<MarketType>, market_index: Option<u16>,
  direction: Option<PositionDirection>)`` (None: no filter); accounts ``state, user, authority``;
- ``cancel_order_by_user_id(user_order_id: u8)``; accounts ``state, user, authority``.

``OrderParams`` (Borsh, in this order): order_type: OrderType (u8: Market, Limit,
TriggerMarket, TriggerLimit, Oracle), market_type: MarketType (u8: Spot, Perp), direction:
PositionDirection (u8: Long, Short), user_order_id: u8, base_asset_amount: u64, price: u64,
market_index: u16, reduce_only: bool, post_only: PostOnlyParam (u8: None, MustPostOnly,
TryPostOnly, Slide), bit_flags: u8 (OrderParamsBitFlag: ImmediateOrCancel = 0x01,
UpdateHighLeverageMode = 0x02), max_ts: Option<i64>, trigger_price: Option<u64>,
trigger_condition: OrderTriggerCondition (u8: Above, Below, TriggeredAbove, TriggeredBelow),
oracle_price_offset: Option<i32>, auction_duration: Option<u8>, auction_start_price:
Option<i64>, auction_end_price: Option<i64>. Integers little-endian; an Option is a u8 tag
(0 None, 1 Some) then the value; a bool is one byte 0 or 1; an enum is its u8 variant index.

Remaining accounts (after the IDL's declared ones) of ``place_perp_order`` and the cancels: Drift
reads the oracles, spot markets and perp markets of the margin check from them (the traded market
and every market the user holds a position in). Each must be a static key of the message and one
of the known Drift market accounts or their oracles (``signer.drift_markets``, transcribed from
driftpy's constants); anything else (another user's account, an unknown account, one loaded from
a lookup table) is refused. ``place_and_take_perp_order`` keeps its makers' User/UserStats
accounts among them (unchecked, as before: Drift itself checks a maker is a User it owns).

Strict: truncated data, trailing bytes, an Option tag or bool byte other than 0/1, an unknown
enum variant or bit flag, a market_type other than Perp in an order, the high-leverage-mode
flag (account management), an authority that is not our wallet (or not a static account key:
loaded from an address lookup table), or a user account other than ours: EffectError.

Precisions (Drift's, driftpy.constants.numeric_constants): BASE_PRECISION = 1e9 per unit of
the market's base asset, PRICE_PRECISION = 1e6 per USD (QUOTE_PRECISION is also 1e6). So
``base_asset_amount=2_500_000_000`` is 2.5 SOL on SOL-PERP and ``price=142_500_000`` is
$142.50 per SOL. Prices in an order (price, trigger_price, auction start/end prices) are in
PRICE_PRECISION; ``oracle_price_offset`` (i32) is also in PRICE_PRECISION, relative to the
oracle price (an Oracle order's limit is oracle + offset; ``price`` is then usually 0).

1K/1M markets (1MBONK-PERP, 1MPEPE-PERP, 1KWEN-PERP, 1KPUMP-PERP...): the base asset is a lot of
1,000 or 1,000,000 tokens. base_asset_amount counts lots in BASE_PRECISION (1e9 = one lot of
1M BONK = 1e6 BONK) and price is USD per LOT in PRICE_PRECISION. The market's oracle source is
a 1K/1M variant (Pyth1M, Pyth1MPull, PythLazer1M...), for which Drift multiplies the per-token
oracle price by 1e3/1e6, so Drift's oracle price for the market is already per lot. A policy
comparing the limit price with an oracle band must therefore use the same per-lot price: with
a per-token USD price ``p`` (e.g. BONK at $0.00002), the band centre is
``p * 1e6 (lot) * 1e6 (PRICE_PRECISION)`` = 20_000_000 for 1MBONK-PERP ($20 per 1M BONK), and
tokens = base_asset_amount * 1e6 / 1e9. A per-token price compared unscaled with a 1M market's
limit price would be off by a factor 1e6.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache

from solders.pubkey import Pubkey

from memesnipe.signer import programs as P
from memesnipe.signer.drift_markets import market_accounts
from memesnipe.signer.effects import EffectError, PerpDirection, PerpOrderEffect

IDL_VERSION = "2.142.0"
"""Version of driftpy's bundled Drift IDL the layout was transcribed from (driftpy 0.8.89)."""


def _disc(name: str) -> bytes:
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


PLACE_PERP_ORDER = "place_perp_order"
PLACE_AND_TAKE_PERP_ORDER = "place_and_take_perp_order"
CANCEL_ORDER = "cancel_order"
CANCEL_ORDERS = "cancel_orders"
CANCEL_ORDER_BY_USER_ID = "cancel_order_by_user_id"

# Per instruction: (user slot, authority slot, number of accounts the IDL declares).
_ACCOUNTS: dict[str, tuple[int, int, int]] = {
    PLACE_PERP_ORDER: (1, 2, 3),
    PLACE_AND_TAKE_PERP_ORDER: (1, 3, 4),
    CANCEL_ORDER: (1, 2, 3),
    CANCEL_ORDERS: (1, 2, 3),
    CANCEL_ORDER_BY_USER_ID: (1, 2, 3),
}
_BY_DISC: dict[bytes, str] = {_disc(n): n for n in _ACCOUNTS}

# Enum variants in IDL order (the u8 on the wire is the index).
ORDER_TYPES = ("market", "limit", "trigger_market", "trigger_limit", "oracle")
MARKET_TYPES = ("spot", "perp")
DIRECTIONS = (PerpDirection.LONG, PerpDirection.SHORT)
POST_ONLY = ("none", "must_post_only", "try_post_only", "slide")
TRIGGER_CONDITIONS = ("above", "below", "triggered_above", "triggered_below")

BIT_IMMEDIATE_OR_CANCEL = 0x01
BIT_UPDATE_HIGH_LEVERAGE_MODE = 0x02
_KNOWN_BITS = BIT_IMMEDIATE_OR_CANCEL | BIT_UPDATE_HIGH_LEVERAGE_MODE

# order_type, market_type, direction, user_order_id, base_asset_amount, price, market_index,
# reduce_only, post_only, bit_flags: the fixed-size head of OrderParams.
_HEAD = struct.Struct("<BBBBQQHBBB")
_OPTS: dict[str, struct.Struct] = {
    "i64": struct.Struct("<q"),
    "u64": struct.Struct("<Q"),
    "i32": struct.Struct("<i"),
    "u32": struct.Struct("<I"),
    "u16": struct.Struct("<H"),
    "u8": struct.Struct("<B"),
}


@dataclass(frozen=True, slots=True)
class DriftPerpOrder(PerpOrderEffect):
    """PerpOrderEffect with the rest of Drift's OrderParams (and place_and_take's argument)."""

    user_order_id: int = 0
    post_only: str = "none"  # POST_ONLY
    immediate_or_cancel: bool = False
    max_ts: int | None = None
    trigger_condition: str = "above"  # TRIGGER_CONDITIONS
    auction_duration: int | None = None
    success_condition: int | None = None  # place_and_take_perp_order only


@dataclass(frozen=True, slots=True)
class DriftCancel:
    """A cancel: ``cancel_order`` (order_id, None = the last order), ``cancel_order_by_user_id``
    (user_order_id) or ``cancel_orders`` (filters; None = any)."""

    instruction: str
    order_id: int | None = None
    user_order_id: int | None = None
    market_type: str | None = None  # MARKET_TYPES
    market_index: int | None = None
    direction: PerpDirection | None = None


DriftEffect = DriftPerpOrder | DriftCancel


@lru_cache(maxsize=64)
def drift_user_account(wallet: bytes, sub_account_id: int = 0) -> bytes:
    """Our Drift user PDA: seeds ``b"user", authority, sub_account_id (u16 LE)`` under the Drift
    program (as driftpy.addresses.get_user_account_public_key, which the signer cannot import)."""
    seeds = [b"user", wallet, sub_account_id.to_bytes(2, "little")]
    return bytes(Pubkey.find_program_address(seeds, P.DRIFT_V2)[0])


class _Reader:
    __slots__ = ("data", "ix", "pos")

    def __init__(self, data: bytes, ix: str, pos: int) -> None:
        self.data = data
        self.ix = ix
        self.pos = pos

    def fail(self, reason: str) -> EffectError:
        return EffectError(f"drift {self.ix}: {reason}")

    def unpack(self, fmt: struct.Struct, field: str) -> tuple[int, ...]:
        end = self.pos + fmt.size
        if end > len(self.data):
            raise self.fail(f"data truncated at byte {len(self.data)} (reading {field})")
        out = fmt.unpack_from(self.data, self.pos)
        self.pos = end
        return out

    def u8(self, field: str) -> int:
        if self.pos >= len(self.data):
            raise self.fail(f"data truncated at byte {len(self.data)} (reading {field})")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def option(self, kind: str, field: str) -> int | None:
        tag = self.u8(field)
        if tag == 0:
            return None
        if tag != 1:
            raise self.fail(f"invalid Option tag {tag} for {field}")
        return self.unpack(_OPTS[kind], field)[0]

    def variant(self, names: tuple[str, ...], value: int, enum: str, field: str) -> str:
        if value >= len(names):
            raise self.fail(f"unknown {enum} variant {value} for {field}")
        return names[value]

    def opt_variant(self, names: tuple[str, ...], enum: str, field: str) -> int | None:
        tag = self.u8(field)
        if tag == 0:
            return None
        if tag != 1:
            raise self.fail(f"invalid Option tag {tag} for {field}")
        v = self.u8(field)
        self.variant(names, v, enum, field)
        return v

    def end(self) -> None:
        extra = len(self.data) - self.pos
        if extra:
            raise self.fail(f"{extra} trailing byte(s) after the arguments")


def _order(r: _Reader) -> DriftPerpOrder:
    ot, mt, dr, uid, base, price, market, ro, po, bits = r.unpack(_HEAD, "order params")
    order_type = r.variant(ORDER_TYPES, ot, "OrderType", "order_type")
    market_type = r.variant(MARKET_TYPES, mt, "MarketType", "market_type")
    if market_type != "perp":
        raise r.fail(f"market_type {market_type} (only perp orders)")
    if dr >= len(DIRECTIONS):
        raise r.fail(f"unknown PositionDirection variant {dr} for direction")
    if ro > 1:
        raise r.fail(f"invalid bool {ro} for reduce_only")
    post_only = r.variant(POST_ONLY, po, "PostOnlyParam", "post_only")
    if bits & ~_KNOWN_BITS:
        raise r.fail(f"unknown bit_flags 0x{bits & ~_KNOWN_BITS:02x}")
    if bits & BIT_UPDATE_HIGH_LEVERAGE_MODE:
        raise r.fail("bit_flags set UpdateHighLeverageMode (account management is not allowed)")
    max_ts = r.option("i64", "max_ts")
    trigger_price = r.option("u64", "trigger_price")
    tc_raw = r.u8("trigger_condition")
    tc = r.variant(TRIGGER_CONDITIONS, tc_raw, "OrderTriggerCondition", "trigger_condition")
    offset = r.option("i32", "oracle_price_offset")
    duration = r.option("u8", "auction_duration")
    start = r.option("i64", "auction_start_price")
    end = r.option("i64", "auction_end_price")
    success = r.option("u32", "success_condition") if r.ix == PLACE_AND_TAKE_PERP_ORDER else None
    r.end()
    return DriftPerpOrder(
        instruction=r.ix,
        market_index=market,
        direction=DIRECTIONS[dr],
        base_amount=base,
        price=price,
        reduce_only=ro == 1,
        order_type=order_type,
        auction_start_price=start,
        auction_end_price=end,
        oracle_price_offset=offset,
        trigger_price=trigger_price,
        user_order_id=uid,
        post_only=post_only,
        immediate_or_cancel=bool(bits & BIT_IMMEDIATE_OR_CANCEL),
        max_ts=max_ts,
        trigger_condition=tc,
        auction_duration=duration,
        success_condition=success,
    )


def _cancel(r: _Reader) -> DriftCancel:
    if r.ix == CANCEL_ORDER:
        order_id = r.option("u32", "order_id")
        r.end()
        return DriftCancel(r.ix, order_id=order_id)
    if r.ix == CANCEL_ORDER_BY_USER_ID:
        uid = r.u8("user_order_id")
        r.end()
        return DriftCancel(r.ix, user_order_id=uid)
    mt = r.opt_variant(MARKET_TYPES, "MarketType", "market_type")
    market = r.option("u16", "market_index")
    dr = r.opt_variant(DIRECTIONS, "PositionDirection", "direction")
    r.end()
    return DriftCancel(
        r.ix,
        market_type=None if mt is None else MARKET_TYPES[mt],
        market_index=market,
        direction=None if dr is None else DIRECTIONS[dr],
    )


def _check_remaining(name: str, remaining: bytes, first: int, keys: list[bytes]) -> None:
    """Each remaining account a static key and a known Drift market or oracle."""
    known = market_accounts()
    for slot, k in enumerate(remaining, start=first):
        if k >= len(keys):
            raise EffectError(
                f"drift {name}: remaining account {slot} is loaded from an address lookup table"
            )
        if keys[k] not in known:
            raise EffectError(
                f"drift {name}: remaining account {slot} ({Pubkey.from_bytes(keys[k])}) is not a known "
                "Drift market or oracle"
            )


def decode_drift(
    data: bytes,
    accounts: bytes,
    keys: list[bytes],
    wallet: bytes,
    user_accounts: frozenset[bytes] | None = None,
) -> DriftEffect:
    """The effect of one Drift v2 instruction the signer allows, or EffectError.

    ``accounts``: the instruction's account indexes into the message's keys; ``keys``: the
    message's STATIC account keys only (an index beyond them is an address-lookup-table account).
    ``user_accounts``: the Drift user PDAs the wallet may trade from (``drift_user_account(wallet,
    sub_id)`` for the configured sub-accounts); None = sub-account 0 only.
    """
    name = _BY_DISC.get(bytes(data[:8]))
    if name is None:
        raise EffectError(f"drift instruction {bytes(data[:8]).hex() or 'empty'} not allowed (only orders)")
    user_slot, auth_slot, needs = _ACCOUNTS[name]
    if len(accounts) < needs:
        raise EffectError(f"drift {name}: {len(accounts)} account(s), the instruction needs {needs}")
    a = accounts[auth_slot]
    if a >= len(keys):
        raise EffectError(f"drift {name}: authority is loaded from an address lookup table")
    if keys[a] != wallet:
        raise EffectError(f"drift {name}: authority is not our wallet")
    u = accounts[user_slot]
    if u >= len(keys):
        raise EffectError(f"drift {name}: user is loaded from an address lookup table")
    ours = user_accounts if user_accounts is not None else frozenset((drift_user_account(wallet, 0),))
    if keys[u] not in ours:
        raise EffectError(f"drift {name}: user account is not our Drift user (sub-account)")
    if name != PLACE_AND_TAKE_PERP_ORDER:  # its makers' accounts follow: Drift checks them
        _check_remaining(name, accounts[needs:], needs, keys)
    r = _Reader(data, name, 8)
    if name in (PLACE_PERP_ORDER, PLACE_AND_TAKE_PERP_ORDER):
        return _order(r)
    return _cancel(r)
