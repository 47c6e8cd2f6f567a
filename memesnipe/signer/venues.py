"""What the signer allows of the venue programs (Jupiter v6, Drift v2), by Anchor instruction.

Jupiter: only the ten route instructions, and only when the swap pays into OUR token account
for the order's mint (or our wSOL account) and takes no platform / positive-slippage fee. Any
other Jupiter instruction (claim, token ledger, create/close token accounts...) is refused.
Account positions per instruction, from Jupiter's on-chain IDL:

- v1 route / route_with_token_ledger: authority 1, user destination 3, optional destination 4,
  platform fee account 6; exact_out_route: 1, 3, 4, fee account 7;
- v1 shared_accounts_route (+ with_token_ledger, exact_out): authority 2, destination 6, fee
  account 9;
- route_v2 / exact_out_route_v2: authority 0, user destination 2, optional destination 7; the
  platform and positive-slippage fee bps (u16 each) at data offset 26;
- shared_accounts_route_v2 / shared_accounts_exact_out_route_v2: authority 1, destination 5;
  fees at data offset 27 (after the u8 id).

An absent optional account holds the program's own id (Anchor's convention).

Drift: only placing and cancelling orders; never withdraw, transfer or account management
(a withdrawal could send our collateral anywhere).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from solders.pubkey import Pubkey

from memesnipe.signer import programs as P


def anchor_discriminator(name: str) -> bytes:
    """Anchor's instruction tag: sha256("global:<snake_case_name>")[:8]."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


@dataclass(frozen=True, slots=True)
class RouteLayout:
    name: str
    authority: int
    destination: int
    optional_destination: int | None
    fee_account: int | None  # v1: platform fee account slot (must be absent)
    fee_bps_at: int | None  # v2: offset of platform_fee_bps u16 + positive_slippage_bps u16

    @property
    def needs_accounts(self) -> int:
        slots = [self.authority, self.destination, self.optional_destination, self.fee_account]
        return max(s for s in slots if s is not None) + 1


JUPITER_ROUTES: dict[bytes, RouteLayout] = {
    anchor_discriminator(r.name): r
    for r in (
        RouteLayout("route", 1, 3, 4, 6, None),
        RouteLayout("route_with_token_ledger", 1, 3, 4, 6, None),
        RouteLayout("exact_out_route", 1, 3, 4, 7, None),
        RouteLayout("shared_accounts_route", 2, 6, None, 9, None),
        RouteLayout("shared_accounts_route_with_token_ledger", 2, 6, None, 9, None),
        RouteLayout("shared_accounts_exact_out_route", 2, 6, None, 9, None),
        RouteLayout("route_v2", 0, 2, 7, None, 26),
        RouteLayout("exact_out_route_v2", 0, 2, 7, None, 26),
        RouteLayout("shared_accounts_route_v2", 1, 5, None, None, 27),
        RouteLayout("shared_accounts_exact_out_route_v2", 1, 5, None, None, 27),
    )
}

DRIFT_ALLOWED: dict[bytes, str] = {
    anchor_discriminator(n): n
    for n in (
        "place_perp_order",
        "place_and_take_perp_order",
        "cancel_order",
        "cancel_orders",
        "cancel_order_by_user_id",
    )
}

_JUPITER = bytes(P.JUPITER_V6)


class VenueRefusal(ValueError):
    """A venue instruction the signer will not sign; the message is the reason."""


@lru_cache(maxsize=4096)
def swap_destinations(wallet: bytes, mint: str) -> frozenset[bytes]:
    """Token accounts a swap may pay into: our ATA for the order's mint (Token or Token-2022)
    and our wSOL account (sells)."""
    owner = Pubkey.from_bytes(wallet)
    out = {bytes(P.wsol_ata(owner))}
    try:
        m = Pubkey.from_string(mint)
    except ValueError:
        return frozenset(out)
    for program in (P.TOKEN, P.TOKEN_2022):
        out.add(bytes(Pubkey.find_program_address([wallet, bytes(program), bytes(m)], P.ASSOCIATED_TOKEN)[0]))
    return frozenset(out)


def check_jupiter(data: bytes, accts: bytes, keys: list[bytes], wallet: bytes, mint: str) -> None:
    layout = JUPITER_ROUTES.get(data[:8])
    if layout is None:
        raise VenueRefusal(f"jupiter instruction {data[:8].hex() or 'empty'} not allowed (only routes)")
    if len(accts) < layout.needs_accounts:
        raise VenueRefusal(f"jupiter {layout.name}: too few accounts")

    def key(slot: int) -> bytes | None:
        i = accts[slot]
        return keys[i] if i < len(keys) else None  # None: loaded from a lookup table

    if key(layout.authority) != wallet:
        raise VenueRefusal(f"jupiter {layout.name}: authority is not our wallet")
    allowed = swap_destinations(wallet, mint)
    dest = key(layout.destination)
    if dest not in allowed:
        shown = str(Pubkey.from_bytes(dest)) if dest else "a lookup-table account"
        raise VenueRefusal(f"jupiter {layout.name} pays {shown}: not our account for {mint} or wSOL")
    if layout.optional_destination is not None:
        alt = key(layout.optional_destination)
        if alt != _JUPITER and alt not in allowed:
            raise VenueRefusal(f"jupiter {layout.name}: destination override is not our account")
    if layout.fee_account is not None and key(layout.fee_account) != _JUPITER:
        raise VenueRefusal(f"jupiter {layout.name}: takes a platform fee")
    if layout.fee_bps_at is not None:
        fees = data[layout.fee_bps_at : layout.fee_bps_at + 4]
        if len(fees) != 4 or any(fees):
            raise VenueRefusal(f"jupiter {layout.name}: takes a platform or positive-slippage fee")


def check_drift(data: bytes) -> None:
    if data[:8] not in DRIFT_ALLOWED:
        raise VenueRefusal(f"drift instruction {data[:8].hex() or 'empty'} not allowed (only orders)")
