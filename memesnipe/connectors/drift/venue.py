"""Drift v2 as a perp venue adapter (``core.perp_venue.PerpVenue``): program status from its State
account, our positions, collateral and funding from our User account, each position's market
(its cumulative funding rates) from its PerpMarket account and the USDC deposit interest from
SpotMarket 0 (all decoded with driftpy's coder, ``connectors.drift.state``), read over JSON-RPC
``getAccountInfo`` (base64)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from driftpy.addresses import get_perp_market_public_key, get_spot_market_public_key
from solders.pubkey import Pubkey

from memesnipe.connectors.drift.orders import (
    PRICE_PRECISION,
    QUOTE_SPOT_MARKET,
    DriftOrderError,
    DriftPerpBuilder,
)
from memesnipe.connectors.drift.state import (
    QUOTE_PRECISION,
    DriftUserView,
    PerpMarketView,
    account_bytes,
    decode_perp_market,
    decode_spot_market,
    decode_state,
    decode_user,
    state_address,
    user_address,
)
from memesnipe.connectors.errors import ProviderError
from memesnipe.core.perp_venue import VenueAccount, VenuePosition, VenueStatus

NAME = "drift-v2"
SOL_PERP = 0


@dataclass
class DriftVenue:
    rpc: Any  # SolanaRpcClient: only ``call`` is used
    builder: DriftPerpBuilder
    name: str = NAME

    async def _account(self, address: Pubkey) -> bytes:
        result = await self.rpc.call("getAccountInfo", [str(address), {"encoding": "base64"}])
        return account_bytes(result)

    async def status(self) -> VenueStatus:
        """Live unless the State account says fills or the AMM are paused; unknown (not live)
        when it cannot be read."""
        address = state_address(self.builder.program_id)
        src = f"State {address}"
        try:
            st = decode_state(await self._account(address))
        except (ProviderError, DriftOrderError) as exc:
            return VenueStatus(self.name, False, f"state unreadable: {exc}", source=src)
        status = f"exchange_status 0x{st.exchange_status:02x}"
        if st.paused:
            return VenueStatus(self.name, False, f"paused ({status}: {', '.join(st.flags)})", st.flags, src)
        detail = f"live ({status}{': ' + ', '.join(st.flags) if st.flags else ''})"
        return VenueStatus(self.name, True, detail, st.flags, src)

    async def user(self, authority: str) -> DriftUserView | None:
        """Our User account as Drift holds it; None when it does not exist (never deposited: no
        positions). A read that fails raises (ProviderError), it is never taken as "none"."""
        address = user_address(
            self.builder.program_id, Pubkey.from_string(authority), self.builder.sub_account_id
        )
        result = await self.rpc.call("getAccountInfo", [str(address), {"encoding": "base64"}])
        if not (result or {}).get("value"):
            return None
        return decode_user(account_bytes(result))

    async def perp_market(self, index: int) -> PerpMarketView:
        m = decode_perp_market(
            await self._account(get_perp_market_public_key(self.builder.program_id, index))
        )
        if m.market_index != index:
            raise DriftOrderError(f"PerpMarket account of {index} holds market {m.market_index}")
        return m

    async def sol_usd(self) -> float:
        """SOL's USD price as the venue last read its oracle (SOL-PERP, market 0): the rate at
        which its USDC funding is booked in lamports."""
        m = await self.perp_market(SOL_PERP)
        if m.last_oracle_price <= 0:
            raise DriftOrderError("SOL-PERP has no oracle price yet")
        return m.last_oracle_price / PRICE_PRECISION

    async def account(self, authority: str) -> VenueAccount:
        """Positions (with their market's funding rate now), collateral and funding, read back."""
        u = await self.user(authority)
        if u is None:
            return VenueAccount(positions=(), collateral_usd=0.0, cumulative_funding_usd=0.0)
        pid = self.builder.program_id
        positions = []
        for p in u.positions:
            m = await self.perp_market(p.market_index)
            rate = (
                m.cumulative_funding_rate_long if p.base_asset_amount > 0 else m.cumulative_funding_rate_short
            )
            positions.append(
                VenuePosition(
                    p.market_index,
                    p.base_asset_amount,
                    p.quote_entry_amount,
                    p.quote_asset_amount,
                    p.last_cumulative_funding_rate,
                    rate,
                )
            )
        _, interest = decode_spot_market(
            await self._account(get_spot_market_public_key(pid, QUOTE_SPOT_MARKET))
        )
        return VenueAccount(
            positions=tuple(positions),
            collateral_usd=u.collateral_usd(interest),
            cumulative_funding_usd=u.cumulative_perp_funding / QUOTE_PRECISION,
            open_perp_markets=u.open_perp_markets,
            open_spot_markets=u.open_spot_markets,
        )
