"""Drift v2 as a perp venue adapter (``core.perp_venue.PerpVenue``): program status from its State
account, our positions, collateral and funding from our User account (both decoded with driftpy's
coder, ``connectors.drift.state``), read over JSON-RPC ``getAccountInfo`` (base64)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from memesnipe.connectors.drift.orders import DriftOrderError, DriftPerpBuilder
from memesnipe.connectors.drift.state import (
    QUOTE_PRECISION,
    account_bytes,
    decode_state,
    decode_user,
    state_address,
    user_address,
)
from memesnipe.connectors.errors import ProviderError
from memesnipe.core.perp_venue import VenueAccount, VenuePosition, VenueStatus

NAME = "drift-v2"


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

    async def account(self, authority: str) -> VenueAccount:
        u = decode_user(
            await self._account(
                user_address(
                    self.builder.program_id, Pubkey.from_string(authority), self.builder.sub_account_id
                )
            )
        )
        return VenueAccount(
            positions=tuple(
                VenuePosition(p.market_index, p.base_asset_amount, p.quote_entry_amount) for p in u.positions
            ),
            collateral_usd=u.collateral_usd(),
            cumulative_funding_usd=u.cumulative_perp_funding / QUOTE_PRECISION,
        )
