"""Drift v2 program state and user accounts, decoded with driftpy's own Anchor coder.

Source of the layouts: the Drift IDL bundled with driftpy (``driftpy/idl/drift.json``, version
2.142.0 with driftpy 0.8.89), read through anchorpy's ``AccountsCoder`` (the same ``Program`` the
order builder uses: ``connectors.drift.orders._program``). Never used by the signer.

``State.exchange_status`` (u8) is a bit field: bit ``i`` is the ``i``-th variant of the IDL's
``ExchangeStatus`` enum (Drift's ``ExchangeStatus`` bitflags: DepositPaused = 1, WithdrawPaused = 2,
AmmPaused = 4, FillPaused = 8, LiqPaused = 16, FundingPaused = 32, SettlePnlPaused = 64,
AmmImmediateFillPaused = 128; 0 = active). New perp orders cannot be filled while ``FillPaused``
or ``AmmPaused`` is set: the venue is then *paused* for our shorts; the other bits are reported.

Read from ``getAccountInfo`` with ``encoding: base64`` (``value.data = [<base64>, "base64"]``).
"""

from __future__ import annotations

import base64
import functools
import json
import os
from dataclasses import dataclass
from typing import Any

import driftpy
from driftpy.addresses import get_state_public_key, get_user_account_public_key
from solders.pubkey import Pubkey

from memesnipe.connectors.drift.orders import DriftOrderError, _program

IDL_PATH = os.path.join(os.path.dirname(driftpy.__file__), "idl", "drift.json")
BLOCKING = ("FillPaused", "AmmPaused")
"""Exchange status bits under which a new perp order cannot fill."""
QUOTE_PRECISION = 1_000_000
BASE_PRECISION = 1_000_000_000
SPOT_BALANCE_PRECISION = 1_000_000_000
SPOT_CUMULATIVE_INTEREST_PRECISION = 10_000_000_000


@functools.cache
def exchange_status_bits() -> tuple[str, ...]:
    """The ``ExchangeStatus`` variant names in bit order, from driftpy's IDL."""
    with open(IDL_PATH) as fh:
        idl = json.load(fh)
    for t in idl["types"]:
        if t["name"] == "ExchangeStatus":
            return tuple(v["name"] for v in t["type"]["variants"])
    raise DriftOrderError("driftpy's IDL has no ExchangeStatus type")


def status_flags(exchange_status: int) -> tuple[str, ...]:
    """The set bits of ``State.exchange_status`` by name (empty: active)."""
    return tuple(name for i, name in enumerate(exchange_status_bits()) if exchange_status >> i & 1)


@dataclass(frozen=True)
class DriftState:
    exchange_status: int
    flags: tuple[str, ...]
    number_of_markets: int

    @property
    def paused(self) -> bool:
        return any(f in BLOCKING for f in self.flags)


def account_bytes(result: Any) -> bytes:
    """The data of a ``getAccountInfo`` (base64) result; DriftOrderError if the account is missing."""
    value = (result or {}).get("value")
    if not value:
        raise DriftOrderError("account not found")
    data = value.get("data")
    if not (isinstance(data, list) and len(data) == 2 and data[1] == "base64"):
        raise DriftOrderError(f"account data not base64-encoded: {str(data)[:80]}")
    return base64.b64decode(data[0])


def decode_account(raw: bytes, name: str) -> Any:
    """One Drift account decoded by driftpy's coder, checked to be ``name`` by its discriminator."""
    coder = _program().coder.accounts
    if raw[:8] != coder.acc_name_to_discriminator[name]:
        raise DriftOrderError(f"not a Drift {name} account (discriminator {raw[:8].hex()})")
    return coder.decode(raw)


def decode_state(raw: bytes) -> DriftState:
    st = decode_account(raw, "State")
    return DriftState(
        int(st.exchange_status), status_flags(int(st.exchange_status)), int(st.number_of_markets)
    )


@dataclass(frozen=True)
class PerpPositionView:
    market_index: int
    base_asset_amount: int  # BASE_PRECISION per lot; < 0 short
    quote_entry_amount: int  # QUOTE_PRECISION
    quote_break_even_amount: int
    last_cumulative_funding_rate: int  # FUNDING_RATE_PRECISION (1e9), the market's rate when last settled
    quote_asset_amount: int = 0  # QUOTE_PRECISION: the position's quote, funding and pnl settled into it


@dataclass(frozen=True)
class DriftUserView:
    """What the venue itself says about our sub-account: open perp positions, USDC collateral
    (scaled balance of spot market 0, before interest) and the cumulative funding paid/received."""

    authority: str
    sub_account_id: int
    positions: tuple[PerpPositionView, ...]
    collateral_scaled: int  # SPOT_BALANCE_PRECISION, spot market 0 (USDC), deposit positive
    cumulative_perp_funding: int  # QUOTE_PRECISION, positive = received
    settled_perp_pnl: int
    open_perp_markets: tuple[int, ...] = ()  # every perp market Drift's margin check reads
    open_spot_markets: tuple[int, ...] = ()  # every spot market Drift's margin check reads

    @property
    def open_markets(self) -> tuple[int, ...]:
        return tuple(p.market_index for p in self.positions)

    def collateral_usd(self, cumulative_deposit_interest: int = SPOT_CUMULATIVE_INTEREST_PRECISION) -> float:
        tokens = self.collateral_scaled * cumulative_deposit_interest // SPOT_CUMULATIVE_INTEREST_PRECISION
        return tokens * QUOTE_PRECISION / SPOT_BALANCE_PRECISION / QUOTE_PRECISION


def _perp_in_use(p: Any) -> bool:
    """Not Drift's "available" slot (driftpy ``math.perp_position.is_available``; the program's
    ``PerpPosition::is_available``): base, quote, open orders or LP shares make the margin check
    read the market, so an order must pass it."""
    return any(int(v) != 0 for v in (p.base_asset_amount, p.quote_asset_amount, p.open_orders, p.lp_shares))


def _spot_in_use(sp: Any) -> bool:
    """As driftpy's ``math.spot_position.is_spot_position_available``, negated."""
    return int(sp.scaled_balance) != 0 or int(sp.open_orders) != 0


def decode_user(raw: bytes) -> DriftUserView:
    u = decode_account(raw, "User")
    positions = tuple(
        PerpPositionView(
            int(p.market_index),
            int(p.base_asset_amount),
            int(p.quote_entry_amount),
            int(p.quote_break_even_amount),
            int(p.last_cumulative_funding_rate),
            int(p.quote_asset_amount),
        )
        for p in u.perp_positions
        if int(p.base_asset_amount) != 0
    )
    open_perps = tuple(dict.fromkeys(int(p.market_index) for p in u.perp_positions if _perp_in_use(p)))
    open_spots = tuple(dict.fromkeys(int(sp.market_index) for sp in u.spot_positions if _spot_in_use(sp)))
    collateral = 0
    for sp in u.spot_positions:
        if int(sp.market_index) == 0 and int(sp.scaled_balance) > 0:
            deposit = type(sp.balance_type).__name__ == "Deposit"
            collateral = int(sp.scaled_balance) if deposit else -int(sp.scaled_balance)
    return DriftUserView(
        authority=str(u.authority),
        sub_account_id=int(u.sub_account_id),
        positions=positions,
        collateral_scaled=collateral,
        cumulative_perp_funding=int(u.cumulative_perp_funding),
        settled_perp_pnl=int(u.settled_perp_pnl),
        open_perp_markets=open_perps,
        open_spot_markets=open_spots,
    )


@dataclass(frozen=True)
class PerpMarketView:
    """What we read of a PerpMarket account: its index and the AMM's cumulative funding rates
    (FUNDING_RATE_PRECISION = PRICE_PRECISION * FUNDING_RATE_BUFFER = 1e9 per base unit), which
    a position's ``last_cumulative_funding_rate`` is settled against (longs by the long rate,
    shorts by the short one)."""

    market_index: int
    cumulative_funding_rate_long: int
    cumulative_funding_rate_short: int
    order_step_size: int  # BASE_PRECISION: Drift rounds an order's base down to a multiple of it
    oracle: str
    last_oracle_price: int = 0  # PRICE_PRECISION, per base unit (lot): the market's last oracle read


def decode_perp_market(raw: bytes) -> PerpMarketView:
    m = decode_account(raw, "PerpMarket")
    return PerpMarketView(
        int(m.market_index),
        int(m.amm.cumulative_funding_rate_long),
        int(m.amm.cumulative_funding_rate_short),
        int(m.amm.order_step_size),
        str(m.amm.oracle),
        int(m.amm.historical_oracle_data.last_oracle_price),
    )


def state_address(program_id: Pubkey) -> Pubkey:
    return get_state_public_key(program_id)


def user_address(program_id: Pubkey, authority: Pubkey, sub_account_id: int) -> Pubkey:
    return get_user_account_public_key(program_id, authority, sub_account_id)


def decode_spot_market(raw: bytes) -> tuple[int, int]:
    """(market_index, cumulative_deposit_interest) of a SpotMarket account: a deposit's tokens are
    its scaled balance times that interest (SPOT_CUMULATIVE_INTEREST_PRECISION)."""
    m = decode_account(raw, "SpotMarket")
    return int(m.market_index), int(m.cumulative_deposit_interest)
