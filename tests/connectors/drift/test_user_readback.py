"""Our Drift User account read back: open markets (as Drift's margin check walks them), positions
with their market's funding rate, USDC collateral with the deposit interest. Accounts are built by
driftpy's own coder from its bundled IDL (tests/fixtures/drift/SOURCE.md); only HTTP is mocked."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest
from driftpy.addresses import (
    get_perp_market_public_key,
    get_spot_market_public_key,
    get_user_account_public_key,
)
from driftpy.constants.config import DRIFT_PROGRAM_ID
from driftpy.math.perp_position import calculate_position_funding_pnl, is_available
from driftpy.math.spot_position import is_spot_position_available
from driftpy.types import SpotBalanceType
from solders.keypair import Keypair

from memesnipe.connectors.drift import DriftOrderError, DriftPerpBuilder
from memesnipe.connectors.drift.state import decode_perp_market, decode_user
from memesnipe.connectors.drift.venue import DriftVenue
from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.perp_books import funding_payment
from tests.fixtures.drift.encode import account_bytes_for, account_info, zero_of

AUTH = Keypair.from_seed(bytes(range(32))).pubkey()
PP = zero_of("User", "PerpPosition")
SP = zero_of("User", "SpotPosition")
AMM = zero_of("PerpMarket", "AMM")


def user_bytes() -> bytes:
    """A short of 5 WIF (market 23), an open order only on SOL-PERP (0), an LP-free settled slot
    with quote left on market 2, empty slots; 1,000 USDC deposited (scaled) and 2 SOL (spot 1)."""
    perps = [
        dataclasses.replace(
            PP,
            market_index=23,
            base_asset_amount=-5 * 10**9,
            quote_asset_amount=9_000_000,
            quote_entry_amount=9_000_000,
            last_cumulative_funding_rate=1_000_000,
        ),
        dataclasses.replace(PP, market_index=0, open_orders=1, open_bids=10**9),
        dataclasses.replace(PP, market_index=2, quote_asset_amount=-1_250_000),  # unsettled pnl
        *[PP] * 5,
    ]
    spots = [
        dataclasses.replace(
            SP, market_index=0, scaled_balance=1_000 * 10**9, balance_type=SpotBalanceType.Deposit()
        ),
        dataclasses.replace(
            SP, market_index=1, scaled_balance=2 * 10**9, balance_type=SpotBalanceType.Deposit()
        ),
        *[SP] * 6,
    ]
    return account_bytes_for(
        "User",
        authority=AUTH,
        perp_positions=perps,
        spot_positions=spots,
        cumulative_perp_funding=-420_000,
    )


def market_bytes(index: int, long_rate: int, short_rate: int) -> bytes:
    amm = dataclasses.replace(
        AMM,
        cumulative_funding_rate_long=long_rate,
        cumulative_funding_rate_short=short_rate,
        order_step_size=10**7,
        oracle=DriftPerpBuilder("mainnet").market(index).oracle,
    )
    return account_bytes_for("PerpMarket", market_index=index, amm=amm)


def test_open_markets_are_every_slot_drift_calls_not_available() -> None:
    u = decode_user(user_bytes())
    assert u.authority == str(AUTH)
    assert [p.market_index for p in u.positions] == [23]  # only base counts as a position
    assert u.open_perp_markets == (23, 0, 2)  # base, an open order, unsettled quote
    assert u.open_spot_markets == (0, 1)
    # the same as driftpy's own predicates over the same decoded account
    from memesnipe.connectors.drift.state import decode_account

    raw = decode_account(user_bytes(), "User")
    assert u.open_perp_markets == tuple(p.market_index for p in raw.perp_positions if not is_available(p))
    assert u.open_spot_markets == tuple(
        s.market_index for s in raw.spot_positions if not is_spot_position_available(s)
    )
    assert u.cumulative_perp_funding == -420_000
    assert u.collateral_usd() == 1_000.0  # interest 1.0


def test_perp_market_funding_rates_decode_and_a_user_is_not_a_market() -> None:
    m = decode_perp_market(market_bytes(23, 5_000_000, 4_000_000))
    assert (m.market_index, m.cumulative_funding_rate_long, m.cumulative_funding_rate_short) == (
        23,
        5_000_000,
        4_000_000,
    )
    assert m.order_step_size == 10**7 and m.oracle == str(DriftPerpBuilder("mainnet").market(23).oracle)
    with pytest.raises(DriftOrderError, match="not a Drift PerpMarket account"):
        decode_perp_market(user_bytes())


def rpc(accounts: dict[str, bytes], seen: list[str]) -> SolanaRpcClient:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["method"] == "getAccountInfo" and body["params"][1] == {"encoding": "base64"}
        address = body["params"][0]
        seen.append(address)
        if address not in accounts:  # the documented answer for an account that does not exist
            doc = {"jsonrpc": "2.0", "result": {"context": {"slot": 312_345_678}, "value": None}}
        else:
            doc = account_info(accounts[address])
        return httpx.Response(200, json={**doc, "id": body["id"]})

    return SolanaRpcClient("https://rpc.example", transport=httpx.MockTransport(handle))


USER = str(get_user_account_public_key(DRIFT_PROGRAM_ID, AUTH, 0))
WIF = str(get_perp_market_public_key(DRIFT_PROGRAM_ID, 23))
USDC = str(get_spot_market_public_key(DRIFT_PROGRAM_ID, 0))


async def test_the_venue_reads_back_positions_funding_and_collateral() -> None:
    seen: list[str] = []
    accounts = {
        USER: user_bytes(),
        WIF: market_bytes(23, 7_000_000, 3_500_333),
        USDC: account_bytes_for("SpotMarket", market_index=0, cumulative_deposit_interest=10_500_000_000),
    }
    acct = await DriftVenue(rpc(accounts, seen), DriftPerpBuilder("mainnet")).account(str(AUTH))
    assert seen == [USER, WIF, USDC]
    (p,) = acct.positions
    assert (p.market_index, p.base_asset_amount, p.short) == (23, -5 * 10**9, True)
    assert p.last_cumulative_funding_rate == 1_000_000
    assert p.market_cumulative_funding_rate == 3_500_333  # a short settles against the short rate
    assert acct.collateral_usd == pytest.approx(1_050.0)  # 1,000 scaled x 1.05 interest
    assert acct.cumulative_funding_usd == pytest.approx(-0.42)
    assert acct.open_perp_markets == (23, 0, 2) and acct.open_spot_markets == (0, 1)
    # what this short is owed, by our rule and by driftpy's own (float) math on the same accounts
    from memesnipe.connectors.drift.state import decode_account

    owed = funding_payment(
        p.market_cumulative_funding_rate - p.last_cumulative_funding_rate, p.base_asset_amount
    )
    ref = calculate_position_funding_pnl(
        decode_account(accounts[WIF], "PerpMarket"), decode_account(accounts[USER], "User").perp_positions[0]
    )
    # a short receives when the rate rises (longs pay shorts): $0.0125017 -> 12,501 in QUOTE_PRECISION
    assert ref == pytest.approx(12_501.665) and owed == 12_501  # Drift rounds toward zero


async def test_no_user_account_is_no_positions_but_an_unreadable_one_raises() -> None:
    venue = DriftVenue(rpc({}, []), DriftPerpBuilder("mainnet"))
    assert await venue.user(str(AUTH)) is None
    empty = await venue.account(str(AUTH))
    assert empty.positions == () and empty.open_perp_markets == ()

    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="upstream down")

    down = SolanaRpcClient("https://rpc.example", transport=httpx.MockTransport(fail))
    with pytest.raises(ProviderError):
        await DriftVenue(down, DriftPerpBuilder("mainnet")).user(str(AUTH))
