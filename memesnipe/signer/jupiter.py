"""Jupiter v6 route instructions decoded into their effect on our token accounts.

Layouts, from Jupiter's on-chain Anchor IDL (program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4;
v1 routes as in jup-ag/jupiter-cpi ``idl.json``, v2 routes as the program's current IDL
displays them: the fixed arguments come first, then the route plan):

- ``route``: accounts token_program 0, user_transfer_authority 1, user_source_token_account 2,
  user_destination_token_account 3, destination_token_account 4 (optional), destination_mint 5,
  platform_fee_account 6 (optional), event_authority 7, program 8; args ``route_plan:
  Vec<RoutePlanStep>, in_amount u64, quoted_out_amount u64, slippage_bps u16, platform_fee_bps u8``.
- ``exact_out_route``: token_program 0, authority 1, source 2, destination 3, destination_token_account 4,
  source_mint 5, destination_mint 6, platform_fee_account 7, ...; args ``route_plan, out_amount,
  quoted_in_amount, slippage_bps u16, platform_fee_bps u8``.
- ``shared_accounts_route`` / ``shared_accounts_exact_out_route``: token_program 0,
  program_authority 1, user_transfer_authority 2, source 3, program_source 4, program_destination 5,
  destination 6, source_mint 7, destination_mint 8, platform_fee_account 9, ...; args ``id u8``
  then as above.
- ``route_v2`` / ``exact_out_route_v2``: authority 0, source 1, destination 2, source_mint 3,
  destination_mint 4, source_token_program 5, destination_token_program 6,
  destination_token_account 7 (optional), event_authority 8, program 9; args ``in_amount`` (or
  ``out_amount``) u64, ``quoted_out_amount`` (or ``quoted_in_amount``) u64, ``slippage_bps`` u16,
  ``platform_fee_bps`` u16, ``positive_slippage_bps`` u16, ``route_plan: Vec<RoutePlanStepV2>``.
- ``shared_accounts_route_v2`` / ``shared_accounts_exact_out_route_v2``: program_authority 0,
  authority 1, source 2, program_source 3, program_destination 4, destination 5, source_mint 6,
  destination_mint 7, ...; args ``id u8`` then as route_v2.

The v1 fixed arguments FOLLOW the variable-length route plan, and Anchor ignores trailing bytes,
so a v1 route is only decoded when its whole plan parses with the IDL's ``Swap`` variants and
nothing follows the arguments; a variant unknown to that table is refused (ask the router for a
v2 route). Token-ledger routes take their input amount from an on-chain ledger, so their effect
cannot be read from the instruction: refused. An absent optional account is the program id
(Anchor's convention). Minimum out: ``quoted_out * (10_000 - slippage_bps) // 10_000`` (exact-in);
maximum in: ``quoted_in * (10_000 + slippage_bps)`` rounded up (exact-out), as the program computes
its slippage bounds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from memesnipe.signer import programs as P
from memesnipe.signer.effects import EffectError, SwapEffect

_PROGRAM = bytes(P.JUPITER_V6)


def anchor_discriminator(name: str) -> bytes:
    """Anchor's instruction tag: sha256("global:<snake_case_name>")[:8]."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


BPS = 10_000


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    version: int  # 1: args after the route plan; 2: args before it
    shared: bool  # a leading ``id: u8`` argument
    exact_out: bool
    authority: int
    source: int
    destination: int
    source_mint: int | None
    destination_mint: int | None
    optional_destination: int | None
    fee_account: int | None  # v1 only: must be absent (= program id)

    @property
    def needs_accounts(self) -> int:
        slots = [
            self.authority,
            self.source,
            self.destination,
            self.source_mint,
            self.destination_mint,
            self.optional_destination,
            self.fee_account,
        ]
        return max(s for s in slots if s is not None) + 1


LAYOUTS: dict[bytes, Layout] = {
    anchor_discriminator(x.name): x
    for x in (
        Layout("route", 1, False, False, 1, 2, 3, None, 5, 4, 6),
        Layout("exact_out_route", 1, False, True, 1, 2, 3, 5, 6, 4, 7),
        Layout("shared_accounts_route", 1, True, False, 2, 3, 6, 7, 8, None, 9),
        Layout("shared_accounts_exact_out_route", 1, True, True, 2, 3, 6, 7, 8, None, 9),
        Layout("route_v2", 2, False, False, 0, 1, 2, 3, 4, 7, None),
        Layout("exact_out_route_v2", 2, False, True, 0, 1, 2, 3, 4, 7, None),
        Layout("shared_accounts_route_v2", 2, True, False, 1, 2, 5, 6, 7, None, None),
        Layout("shared_accounts_exact_out_route_v2", 2, True, True, 1, 2, 5, 6, 7, None, None),
    )
}
REFUSED = {
    anchor_discriminator(n): n for n in ("route_with_token_ledger", "shared_accounts_route_with_token_ledger")
}

# Jupiter IDL ``Swap`` enum (jup-ag/jupiter-cpi idl.json): variant index -> bytes of its fields.
# Fields: bool (1 byte, 0/1), Side (1 byte enum, 0/1), Symmetry {u64, u64}, StakeDex... {u32}.
_BOOL_OR_SIDE = {8, 12, 15, 16, 17, 18, 21, 23, 24, 27, 28}
_SWAP_FIELDS: dict[int, int] = {i: 0 for i in range(39)}
_SWAP_FIELDS.update({i: 1 for i in _BOOL_OR_SIDE})
_SWAP_FIELDS[29] = 16
_SWAP_FIELDS[33] = 4
MAX_ROUTE_STEPS = 64


def _u64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def _u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _v1_plan_end(data: bytes, at: int, name: str) -> int:
    """Offset just after a v1 ``Vec<RoutePlanStep>`` starting at ``at``."""
    if len(data) < at + 4:
        raise EffectError(f"jupiter {name}: truncated route plan")
    n = int.from_bytes(data[at : at + 4], "little")
    if not 0 < n <= MAX_ROUTE_STEPS:
        raise EffectError(f"jupiter {name}: route plan of {n} steps")
    at += 4
    for _ in range(n):
        if at >= len(data):
            raise EffectError(f"jupiter {name}: truncated route plan")
        variant = data[at]
        size = _SWAP_FIELDS.get(variant)
        if size is None:
            raise EffectError(
                f"jupiter {name}: route step uses swap variant {variant}, unknown to the signer's IDL "
                "(v1 routes are decoded only with known variants; use a v2 route)"
            )
        if size == 1 and variant in _BOOL_OR_SIDE and at + 1 < len(data) and data[at + 1] > 1:
            raise EffectError(f"jupiter {name}: route step variant {variant} has an invalid field")
        at += 1 + size + 3  # swap + percent + input_index + output_index
        if at > len(data):
            raise EffectError(f"jupiter {name}: truncated route plan")
    return at


def decode_jupiter(data: bytes, accts: bytes, keys: list[bytes], wallet: bytes) -> SwapEffect:
    """The effect of one Jupiter instruction, or EffectError. ``accts``: the instruction's
    account indexes; ``keys``: the message's static account keys (an index past them is an
    address loaded from a lookup table, never accepted for an account we must recognise)."""
    disc = data[:8]
    refused = REFUSED.get(disc)
    if refused is not None:
        raise EffectError(f"jupiter {refused}: input amount comes from a token ledger (effect unknown)")
    layout = LAYOUTS.get(disc)
    if layout is None:
        raise EffectError(f"jupiter instruction {disc.hex() or 'empty'} not allowed (only routes)")
    name = layout.name
    if len(accts) < layout.needs_accounts:
        raise EffectError(f"jupiter {name}: too few accounts")

    def key(slot: int | None) -> bytes | None:
        if slot is None:
            return None
        i = accts[slot]
        return keys[i] if i < len(keys) else None

    if key(layout.authority) != wallet:
        raise EffectError(f"jupiter {name}: authority is not our wallet")
    at = 8 + (1 if layout.shared else 0)
    if layout.version == 2:
        if len(data) < at + 22 + 4:
            raise EffectError(f"jupiter {name}: truncated arguments")
        amount, quoted = _u64(data, at), _u64(data, at + 8)
        slippage = _u16(data, at + 16)
        fee_bps, positive_bps = _u16(data, at + 18), _u16(data, at + 20)
        if fee_bps or positive_bps:
            raise EffectError(f"jupiter {name}: takes a platform or positive-slippage fee")
    else:
        end = _v1_plan_end(data, at, name)
        if len(data) != end + 19:
            raise EffectError(f"jupiter {name}: arguments are not exactly the IDL's (extra or missing bytes)")
        amount, quoted = _u64(data, end), _u64(data, end + 8)
        slippage, fee_bps = _u16(data, end + 16), data[end + 18]
        if fee_bps:
            raise EffectError(f"jupiter {name}: takes a platform fee")
        if layout.fee_account is not None and key(layout.fee_account) != _PROGRAM:
            raise EffectError(f"jupiter {name}: names a platform fee account")
    if slippage > BPS:
        raise EffectError(f"jupiter {name}: slippage of {slippage} bps")
    source, dest = key(layout.source), key(layout.destination)
    if source is None or dest is None:
        raise EffectError(f"jupiter {name}: source or destination loaded from a lookup table")
    if layout.optional_destination is not None:
        alt = key(layout.optional_destination)
        if alt != _PROGRAM and alt != dest:
            raise EffectError(f"jupiter {name}: pays a destination override")
    if layout.exact_out:
        out_min = amount
        in_max = -(-quoted * (BPS + slippage) // BPS)
    else:
        in_max = amount
        out_min = quoted * (BPS - slippage) // BPS
    return SwapEffect(
        instruction=name,
        source=source,
        destination=dest,
        in_mint=key(layout.source_mint),
        out_mint=key(layout.destination_mint),
        in_max=in_max,
        out_min=out_min,
        quoted_out=amount if layout.exact_out else quoted,
        slippage_bps=slippage,
        exact_out=layout.exact_out,
    )
