"""Drift v2 perp orders built offline with driftpy's IDL and account derivations.

``placePerpOrder`` needs the state, the user and user-stats PDAs of our authority, and as
remaining accounts every oracle, spot market and perp market the margin check reads: the traded
perp market, its oracle, and the quote (USDC) spot market with its oracle. We take the market and
oracle addresses from driftpy's own mainnet/devnet constants, so no RPC call is needed to build
the instruction; the signer then checks it against its Drift allowlist.

Limitation (documented, checked by the caller): positions in *other* markets are also read by
Drift's margin check; pass their indexes in ``other_perp_markets`` when the wallet holds any.
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
        return PerpMarket(cfg.symbol, index, cfg.oracle, get_perp_market_public_key(self.program_id, index))

    def market_by_symbol(self, symbol: str) -> PerpMarket:
        for cfg in self._perps.values():
            if cfg.symbol == symbol or cfg.base_asset_symbol == symbol:
                return self.market(cfg.market_index)
        raise DriftOrderError(f"no Drift {self.env} perp market {symbol!r}")

    def remaining_accounts(self, market_indexes: list[int]) -> list[AccountMeta]:
        """Oracles, then spot markets, then perp markets (driftpy's order), all read-only."""
        oracles: dict[Pubkey, None] = {}
        spots: dict[Pubkey, None] = {}
        perps: dict[Pubkey, None] = {}
        quote = self._spots[QUOTE_SPOT_MARKET]
        for idx in market_indexes:
            m = self.market(idx)
            oracles[m.oracle] = None
            perps[m.address] = None
        if quote.oracle != Pubkey.default():
            oracles[quote.oracle] = None
        spots[get_spot_market_public_key(self.program_id, QUOTE_SPOT_MARKET)] = None
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
    ) -> Instruction:
        """A market order with a worst-acceptable limit price. ``base_amount`` is in Drift's base
        precision (1e9 per unit of the perp's base asset)."""
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
                remaining_accounts=self.remaining_accounts(markets),
            ),
        )


def base_amount_from_tokens(qty_tokens: int, token_decimals: int) -> int:
    """Token base units -> Drift base precision (1e9)."""
    return qty_tokens * BASE_PRECISION // 10**token_decimals
