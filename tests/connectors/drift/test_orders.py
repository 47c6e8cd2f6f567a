"""Drift perp orders built with driftpy's own IDL and PDAs, decoded back with anchorpy."""

from __future__ import annotations

from pathlib import Path

import driftpy
import pytest
from anchorpy import Idl
from anchorpy.coder.instruction import InstructionCoder
from driftpy.addresses import get_perp_market_public_key, get_user_account_public_key
from driftpy.constants.config import DRIFT_PROGRAM_ID
from solders.keypair import Keypair

from memesnipe.connectors.drift import DriftOrderError, DriftPerpBuilder
from memesnipe.connectors.drift.orders import base_amount_from_tokens

IDL = Idl.from_json((Path(driftpy.__file__).parent / "idl" / "drift.json").read_text())
AUTH = Keypair.from_seed(bytes(range(32))).pubkey()


def test_market_lookup_by_index_and_symbol():
    b = DriftPerpBuilder("mainnet")
    wif = b.market_by_symbol("WIF-PERP")
    assert wif.market_index == 23 and b.market_by_symbol("WIF") == wif
    assert wif.address == get_perp_market_public_key(DRIFT_PROGRAM_ID, 23)
    with pytest.raises(DriftOrderError, match="no Drift mainnet perp market with index 9999"):
        b.market(9999)


def test_short_and_reduce_only_cover_round_trip_through_the_idl():
    b = DriftPerpBuilder("mainnet", sub_account_id=0)
    ix = b.place_perp_order_ix(
        AUTH,
        market_index=0,
        short=True,
        base_amount=2_500_000_000,
        reduce_only=False,
        limit_price_usd=142.5,
        auction_duration=12,
        user_order_id=300,
    )
    assert ix.program_id == DRIFT_PROGRAM_ID
    d = InstructionCoder(IDL).parse(ix.data)
    p = d.data.params
    assert d.name == "place_perp_order"
    assert (p.market_index, p.base_asset_amount, p.price) == (0, 2_500_000_000, 142_500_000)
    assert type(p.direction).__name__ == "Short" and type(p.order_type).__name__ == "Market"
    assert p.reduce_only is False and p.auction_duration == 12 and p.user_order_id == 300 % 256
    keys = [a.pubkey for a in ix.accounts]
    assert get_user_account_public_key(DRIFT_PROGRAM_ID, AUTH, 0) in keys
    signer = [a for a in ix.accounts if a.is_signer]
    assert [a.pubkey for a in signer] == [AUTH]
    sol = b.market(0)
    assert sol.oracle in keys and sol.address in keys  # remaining accounts: oracle + perp market
    assert all(not a.is_writable for a in ix.accounts[4:])
    cover = b.place_perp_order_ix(
        AUTH, market_index=0, short=False, base_amount=1, reduce_only=True, limit_price_usd=150.0
    )
    pc = InstructionCoder(IDL).parse(cover.data).data.params
    assert pc.reduce_only is True and type(pc.direction).__name__ == "Long"


def test_bad_orders_are_refused():
    b = DriftPerpBuilder()
    with pytest.raises(DriftOrderError):
        b.place_perp_order_ix(
            AUTH, market_index=0, short=True, base_amount=0, reduce_only=False, limit_price_usd=1
        )
    with pytest.raises(DriftOrderError):
        b.place_perp_order_ix(
            AUTH, market_index=0, short=True, base_amount=1, reduce_only=False, limit_price_usd=0
        )
    with pytest.raises(DriftOrderError, match="unknown Drift env"):
        DriftPerpBuilder("testnet")


def test_token_units_convert_to_drift_base_precision():
    assert base_amount_from_tokens(1_500_000, 6) == 1_500_000_000
    assert base_amount_from_tokens(3 * 10**9, 9) == 3 * 10**9
