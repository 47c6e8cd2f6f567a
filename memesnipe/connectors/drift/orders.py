"""Drift v2 perp orders built offline with driftpy's IDL and account derivations.

``placePerpOrder`` needs the state, the user and user-stats PDAs of our authority, and as
remaining accounts every oracle, spot market and perp market the margin check reads: the traded
perp market, its oracle, the quote (USDC) spot market with its oracle, AND every market the user
already has a position in (Drift's margin calculation walks all of the user's non-empty perp and
spot positions and fails when one of their markets or oracles is missing). The caller passes those
from our User account (``connectors.drift.state.DriftUserView.open_perp_markets`` /
``open_spot_markets``), in driftpy's order (``DriftClient.get_remaining_accounts``: oracles, then
spot markets, then perp markets, all read-only). Market and oracle addresses come from driftpy's own
mainnet/devnet constants, so no RPC call is needed to build the instruction; the signer checks each
remaining account is one of those markets or oracles (``signer.drift_markets``).

Units: a Drift perp market quotes its base asset in PRICE_PRECISION (1e6) USD per base unit and
counts it in BASE_PRECISION (1e9). For a 1K/1M market (1KWEN-PERP, 1MBONK-PERP...; oracle source
Pyth1K/Pyth1M/...Pull/PythLazer1K/1M) the base unit is a LOT of 1,000 or 1,000,000 tokens: prices
are per lot and amounts count lots (``PerpMarket.contract_size``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import driftpy
from anchorpy import Context, Idl, Program, Provider, Wallet
from driftpy.addresses import (
    get_perp_market_public_key,
    get_spot_market_public_key,
    get_state_public_key,
    get_user_account_public_key,
    get_user_stats_account_public_key,
)
from driftpy.constants.config import DRIFT_PROGRAM_ID
from driftpy.constants.numeric_constants import BASE_PRECISION, PRICE_PRECISION
from driftpy.constants.perp_markets import devnet_perp_market_configs, mainnet_perp_market_configs
from driftpy.constants.spot_markets import devnet_spot_market_configs, mainnet_spot_market_configs
from driftpy.types import MarketType, OrderParams, OrderType, PositionDirection
from solana.rpc.async_api import AsyncClient
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

QUOTE_SPOT_MARKET = 0  # USDC


class DriftOrderError(ValueError):
    """The perp order cannot be built (unknown market, bad size or price)."""


@dataclass(frozen=True)
class PerpMarket:
    symbol: str
    market_index: int
    oracle: Pubkey
    address: Pubkey
    contract_size: int = 1  # tokens per base unit: 1, 1_000 (1K markets) or 1_000_000 (1M markets)

    def lot_price_usd(self, usd_per_token: float) -> float:
        """A per-token USD price in this market's own unit: USD per base unit (per lot of
        ``contract_size`` tokens), as its orders and its oracle quote it."""
        return usd_per_token * self.contract_size

    def base_amount(self, qty_tokens: int, token_decimals: int) -> int:
        """Token base units -> the market's base amount (BASE_PRECISION per lot), rounded down."""
        return base_amount_from_tokens(qty_tokens, token_decimals, self.contract_size)


def contract_size(oracle_source: object) -> int:
    """Tokens per base unit from the market's oracle source (driftpy's ``OracleSource`` variant):
    the 1K/1M sources (Pyth1K, Pyth1KPull, PythLazer1K, Pyth1M, ...) scale the oracle per lot."""
    name = type(oracle_source).__name__
    if name.endswith("1K") or name.endswith("1KPull"):
        return 1_000
    if name.endswith("1M") or name.endswith("1MPull"):
        return 1_000_000
    return 1


@functools.cache
def _program() -> Program:
    """driftpy's bundled IDL; the provider is never used (no network): only the coder is."""
    path = os.path.join(os.path.dirname(driftpy.__file__), "idl", "drift.json")
    with open(path) as fh:
        idl = Idl.from_json(fh.read())
    provider = Provider(AsyncClient("http://127.0.0.1:0"), Wallet(Keypair()))
    return Program(idl, DRIFT_PROGRAM_ID, provider)


class DriftPerpBuilder:
    def __init__(self, env: str = "mainnet", sub_account_id: int = 0) -> None:
        if env not in {"mainnet", "devnet"}:
            raise DriftOrderError(f"unknown Drift env {env!r} (mainnet or devnet)")
        self.env = env
        self.sub_account_id = sub_account_id
        self.program_id = DRIFT_PROGRAM_ID
        perps = mainnet_perp_market_configs if env == "mainnet" else devnet_perp_market_configs
        spots = mainnet_spot_market_configs if env == "mainnet" else devnet_spot_market_configs
        self._perps = {c.market_index: c for c in perps}
        self._spots = {c.market_index: c for c in spots}

    def market(self, index: int) -> PerpMarket:
        cfg = self._perps.get(index)
        if cfg is None:
            raise DriftOrderError(f"no Drift {self.env} perp market with index {index}")
        return PerpMarket(
            cfg.symbol,
            index,
            cfg.oracle,
            get_perp_market_public_key(self.program_id, index),
            contract_size(cfg.oracle_source),
        )

    def market_by_symbol(self, symbol: str) -> PerpMarket:
        for cfg in self._perps.values():
            if cfg.symbol == symbol or cfg.base_asset_symbol == symbol:
                return self.market(cfg.market_index)
        raise DriftOrderError(f"no Drift {self.env} perp market {symbol!r}")

    def _add_spot(self, index: int, oracles: dict[Pubkey, None], spots: dict[Pubkey, None]) -> None:
        cfg = self._spots.get(index)
        if cfg is None:
            raise DriftOrderError(f"no Drift {self.env} spot market with index {index}")
        if cfg.oracle != Pubkey.default():  # QuoteAsset markets have no oracle account
            oracles[cfg.oracle] = None
        spots[get_spot_market_public_key(self.program_id, index)] = None

    def remaining_accounts(
        self, market_indexes: list[int], spot_market_indexes: tuple[int, ...] = ()
    ) -> list[AccountMeta]:
        """Oracles, then spot markets, then perp markets (driftpy's order), all read-only: each
        perp market with its oracle and its quote spot market (USDC), each spot market with its
        oracle."""
        oracles: dict[Pubkey, None] = {}
        spots: dict[Pubkey, None] = {}
        perps: dict[Pubkey, None] = {}
        for idx in spot_market_indexes:
            self._add_spot(idx, oracles, spots)
        for idx in market_indexes:
            m = self.market(idx)
            oracles[m.oracle] = None
            perps[m.address] = None
            self._add_spot(QUOTE_SPOT_MARKET, oracles, spots)
        return [AccountMeta(k, False, False) for k in [*oracles, *spots, *perps]]

    def place_perp_order_ix(
        self,
        authority: Pubkey,
        *,
        market_index: int,
        short: bool,
        base_amount: int,
        reduce_only: bool,
        limit_price_usd: float,
        auction_duration: int = 10,
        user_order_id: int = 0,
        other_perp_markets: tuple[int, ...] = (),
        open_spot_markets: tuple[int, ...] = (),
    ) -> Instruction:
        """A market order with a worst-acceptable limit price, both in the market's own units:
        ``base_amount`` in BASE_PRECISION per base unit (lot), ``limit_price_usd`` in USD per base
        unit (per lot: ``PerpMarket.base_amount`` / ``PerpMarket.lot_price_usd`` convert from
        tokens).
        ``other_perp_markets`` / ``open_spot_markets``: the markets of the user's other positions,
        which Drift's margin check reads (all of them, or the order fails)."""
        if base_amount <= 0:
            raise DriftOrderError(f"base amount must be positive, got {base_amount}")
        if not limit_price_usd > 0:
            raise DriftOrderError(f"limit price must be positive, got {limit_price_usd}")
        self.market(market_index)
        params = OrderParams(
            order_type=OrderType.Market(),
            market_type=MarketType.Perp(),
            direction=PositionDirection.Short() if short else PositionDirection.Long(),
            base_asset_amount=base_amount,
            market_index=market_index,
            price=round(limit_price_usd * PRICE_PRECISION),
            reduce_only=reduce_only,
            user_order_id=user_order_id % 256,
            auction_duration=auction_duration,
        )
        markets = [market_index, *[i for i in other_perp_markets if i != market_index]]
        return _program().instruction["place_perp_order"](
            params,
            ctx=Context(
                accounts={
                    "state": get_state_public_key(self.program_id),
                    "user": get_user_account_public_key(self.program_id, authority, self.sub_account_id),
                    "userStats": get_user_stats_account_public_key(self.program_id, authority),
                    "authority": authority,
                },
                remaining_accounts=self.remaining_accounts(markets, open_spot_markets),
            ),
        )


def base_amount_from_tokens(qty_tokens: int, token_decimals: int, contract_size: int = 1) -> int:
    """Token base units -> Drift base precision (1e9 per lot of ``contract_size`` tokens)."""
    return qty_tokens * BASE_PRECISION // (10**token_decimals * contract_size)
