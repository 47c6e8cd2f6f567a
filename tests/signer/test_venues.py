"""Jupiter and Drift instructions: a swap must pay into our own account for the order's mint
(or wSOL) with no fee; Drift may only place and cancel orders."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from memesnipe.signer import programs as P
from memesnipe.signer.signing import SigningService
from memesnipe.signer.venues import JUPITER_ROUTES, RouteLayout, anchor_discriminator
from memesnipe.streams.execution import ExecutionStatus
from memesnipe.streams.trading import Intent
from tests.signer.helpers import MINT, paper_ixs, request, unsigned_tx, wire

MINT_PK = Pubkey.from_string(MINT)
SPEND = 10**8


def ata(owner: Pubkey, mint: Pubkey, program: Pubkey = P.TOKEN) -> Pubkey:
    return Pubkey.find_program_address([bytes(owner), bytes(program), bytes(mint)], P.ASSOCIATED_TOKEN)[0]


def route_ix(layout: RouteLayout, me: Pubkey, **slots: Pubkey) -> Instruction:
    """A Jupiter route instruction with our accounts in the slots the policy reads."""
    accounts = [AccountMeta(Pubkey.new_unique(), False, True) for _ in range(layout.needs_accounts + 3)]
    accounts[layout.authority] = AccountMeta(slots.get("authority", me), True, False)
    accounts[layout.destination] = AccountMeta(slots.get("destination", ata(me, MINT_PK)), False, True)
    if layout.optional_destination is not None:
        accounts[layout.optional_destination] = AccountMeta(slots.get("optional", P.JUPITER_V6), False, False)
    if layout.fee_account is not None:
        accounts[layout.fee_account] = AccountMeta(slots.get("fee", P.JUPITER_V6), False, False)
    return Instruction(P.JUPITER_V6, anchor_discriminator(layout.name) + bytes(48), accounts)


def run(
    svc: SigningService, ixs: list[Instruction], intent: Intent = Intent.ENTRY
) -> tuple[ExecutionStatus, str]:
    me = svc.cfg.wallet
    out = svc.handle(wire(request(unsigned_tx(me, [*paper_ixs(me), *ixs]), spend=SPEND, intent=intent)))
    return out.status, out.reason


def test_discriminators_match_jupiters_and_drifts_programs() -> None:
    known = {  # from Jupiter's and Drift's on-chain IDLs
        "route": "e517cb977ae3ad2a",
        "shared_accounts_route": "c1209b3341d69c81",
        "exact_out_route": "d033ef977b2bed5c",
        "route_v2": "bb64facc31c4af14",
        "shared_accounts_route_v2": "d19853937cfed8e9",
        "place_perp_order": "45a15dca787e4cb9",
    }
    for name, tag in known.items():
        assert anchor_discriminator(name).hex() == tag
    assert len(JUPITER_ROUTES) == 10


LAYOUTS = list(JUPITER_ROUTES.values())


@pytest.mark.parametrize("layout", LAYOUTS, ids=[r.name for r in LAYOUTS])
def test_a_route_paying_us_is_signed_and_one_paying_anyone_else_is_refused(
    make_service: Callable[..., SigningService], layout: RouteLayout
) -> None:
    svc = make_service()
    me = svc.cfg.wallet
    assert run(svc, [route_ix(layout, me)])[0] is ExecutionStatus.SIGNED
    assert (
        run(svc, [route_ix(layout, me, destination=P.wsol_ata(me))], Intent.EXIT)[0] is ExecutionStatus.SIGNED
    )
    status, reason = run(svc, [route_ix(layout, me, destination=ata(Pubkey.new_unique(), MINT_PK))])
    assert status is ExecutionStatus.REFUSED and f"jupiter {layout.name} pays" in reason
    status, reason = run(svc, [route_ix(layout, me, authority=Pubkey.new_unique())])
    assert status is ExecutionStatus.REFUSED and reason.endswith("authority is not our wallet")
    if layout.optional_destination is not None:
        status, reason = run(svc, [route_ix(layout, me, optional=Pubkey.new_unique())])
        assert status is ExecutionStatus.REFUSED and reason.endswith(
            "destination override is not our account"
        )
    if layout.fee_account is not None:
        status, reason = run(svc, [route_ix(layout, me, fee=Pubkey.new_unique())])
        assert status is ExecutionStatus.REFUSED and reason.endswith("takes a platform fee")


@pytest.mark.parametrize("layout", [r for r in LAYOUTS if r.fee_bps_at], ids=lambda r: r.name)
@pytest.mark.parametrize("which", [0, 2], ids=["platform_fee_bps", "positive_slippage_bps"])
def test_v2_routes_with_a_fee_are_refused(
    make_service: Callable[..., SigningService], layout: RouteLayout, which: int
) -> None:
    svc = make_service()
    ix = route_ix(layout, svc.cfg.wallet)
    data = bytearray(ix.data)
    assert layout.fee_bps_at is not None
    data[layout.fee_bps_at + which] = 10
    status, reason = run(svc, [Instruction(ix.program_id, bytes(data), ix.accounts)])
    assert status is ExecutionStatus.REFUSED and "fee" in reason


def test_token_2022_destination_is_ours_too(make_service: Callable[..., SigningService]) -> None:
    svc = make_service()
    me = svc.cfg.wallet
    layout = JUPITER_ROUTES[anchor_discriminator("shared_accounts_route_v2")]
    assert (
        run(svc, [route_ix(layout, me, destination=ata(me, MINT_PK, P.TOKEN_2022))])[0]
        is ExecutionStatus.SIGNED
    )


@pytest.mark.parametrize(
    "name", ["claim", "claim_token", "set_token_ledger", "create_token_account", "close_token"]
)
def test_other_jupiter_instructions_are_refused(
    make_service: Callable[..., SigningService], name: str
) -> None:
    svc = make_service()
    ix = Instruction(
        P.JUPITER_V6, anchor_discriminator(name) + bytes(8), [AccountMeta(svc.cfg.wallet, True, True)]
    )
    status, reason = run(svc, [ix])
    assert status is ExecutionStatus.REFUSED and reason.startswith("jupiter instruction ")


def test_a_swap_destination_from_a_lookup_table_is_refused(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    me = svc.cfg.wallet
    layout = JUPITER_ROUTES[anchor_discriminator("route_v2")]
    theirs = ata(Pubkey.new_unique(), MINT_PK)
    ix = route_ix(layout, me, destination=theirs)
    msg = MessageV0.try_compile(
        me,
        [*paper_ixs(me), ix],
        [AddressLookupTableAccount(Pubkey.new_unique(), [theirs])],
        Hash.new_unique(),
    )
    tx = bytes(VersionedTransaction.populate(msg, [Signature.default()]))
    out = svc.handle(wire(request(tx, spend=SPEND)))
    assert out.status is ExecutionStatus.REFUSED and "a lookup-table account" in out.reason


def test_drift_orders_are_signed_and_withdrawals_refused(make_service: Callable[..., SigningService]) -> None:
    from memesnipe.connectors.drift import DriftPerpBuilder  # the router's real builder (driftpy)

    svc = make_service()
    me = svc.cfg.wallet
    ix = DriftPerpBuilder("mainnet").place_perp_order_ix(
        me, market_index=0, short=True, base_amount=10**9, reduce_only=False, limit_price_usd=150.0
    )
    assert run(svc, [ix])[0] is ExecutionStatus.SIGNED
    for name in ("withdraw", "transfer_deposit", "delete_user", "update_user_delegate"):
        bad = Instruction(P.DRIFT_V2, anchor_discriminator(name) + bytes(16), ix.accounts)
        status, reason = run(svc, [bad])
        assert status is ExecutionStatus.REFUSED and reason.startswith("drift instruction "), name
