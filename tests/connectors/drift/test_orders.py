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


def test_contract_size_follows_the_oracle_source_of_drifts_own_market_list() -> None:
    """driftpy's mainnet list: the 1K/1M markets (by name) are exactly those whose oracle source
    scales per lot, and the lot is what the name says."""
    from driftpy.constants.perp_markets import mainnet_perp_market_configs

    b = DriftPerpBuilder("mainnet")
    sizes = {c.symbol: b.market(c.market_index).contract_size for c in mainnet_perp_market_configs}
    assert sizes["1MBONK-PERP"] == sizes["1MPEPE-PERP"] == 1_000_000
    assert sizes["1KWEN-PERP"] == sizes["1KPUMP-PERP"] == 1_000
    assert sizes["SOL-PERP"] == sizes["WIF-PERP"] == sizes["POPCAT-PERP"] == 1
    for symbol, size in sizes.items():
        want = 1_000_000 if symbol.startswith("1M") else 1_000 if symbol.startswith("1K") else 1
        assert size == want, symbol


def test_a_one_million_market_is_priced_and_sized_per_lot() -> None:
    """BONK at $0.00002 a token is $20 per 1M BONK: the order's price is 20_000_000 (not 20), and
    3M BONK (5 decimals) is 3 lots = 3e9 base."""
    b = DriftPerpBuilder("mainnet")
    bonk = b.market_by_symbol("1MBONK-PERP")
    assert bonk.lot_price_usd(0.00002) == pytest.approx(20.0)
    assert bonk.base_amount(3_000_000 * 10**5, 5) == 3 * 10**9
    assert b.market_by_symbol("SOL-PERP").base_amount(25 * 10**8, 9) == 25 * 10**8
    ix = b.place_perp_order_ix(
        AUTH,
        market_index=bonk.market_index,
        short=True,
        base_amount=bonk.base_amount(3_000_000 * 10**5, 5),
        reduce_only=False,
        limit_price_usd=bonk.lot_price_usd(0.00002),
    )
    p = InstructionCoder(IDL).parse(ix.data).data.params
    assert (p.market_index, p.price, p.base_asset_amount) == (4, 20_000_000, 3 * 10**9)


def test_every_open_market_is_a_remaining_account_in_driftpys_order() -> None:
    """A short on WIF while holding SOL-PERP and a SOL deposit: oracles, then spot markets, then
    perp markets, each once, all read-only (Drift's ``load_maps`` reads them group by group, the
    order within a group is free); without them Drift's margin check fails."""
    from driftpy.addresses import get_spot_market_public_key
    from driftpy.constants.spot_markets import mainnet_spot_market_configs

    b = DriftPerpBuilder("mainnet")
    ix = b.place_perp_order_ix(
        AUTH,
        market_index=23,
        short=True,
        base_amount=10**9,
        reduce_only=False,
        limit_price_usd=1.5,
        other_perp_markets=(0, 23),
        open_spot_markets=(0, 1),
    )
    rest = ix.accounts[3:]
    spot = {c.market_index: c for c in mainnet_spot_market_configs}
    wif, sol = b.market(23), b.market(0)
    assert spot[1].oracle == sol.oracle  # SOL spot and SOL-PERP read one feed: passed once
    oracles = [spot[0].oracle, spot[1].oracle, wif.oracle]
    spots = [get_spot_market_public_key(DRIFT_PROGRAM_ID, i) for i in (0, 1)]
    assert [a.pubkey for a in rest] == [*oracles, *spots, wif.address, sol.address]
    assert all(not a.is_writable and not a.is_signer for a in rest)
    alone = b.place_perp_order_ix(
        AUTH, market_index=23, short=True, base_amount=10**9, reduce_only=False, limit_price_usd=1.5
    )
    assert [a.pubkey for a in alone.accounts[3:]] == [wif.oracle, spot[0].oracle, spots[0], wif.address]
    with pytest.raises(DriftOrderError, match="no Drift mainnet spot market with index 999"):
        b.remaining_accounts([23], (999,))
