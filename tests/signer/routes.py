"""Builders of real-layout venue instructions for signer tests: Jupiter v6 routes encoded as the
program's IDL declares them (jupiter.py's docstring has the layouts) and legitimate entry / exit
/ perp transactions with the request that declares them."""

from __future__ import annotations

from typing import Any

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from memesnipe.signer import programs as P
from memesnipe.signer.jupiter import LAYOUTS, Layout, anchor_discriminator
from memesnipe.streams.execution import ExecutionRequest
from memesnipe.streams.trading import Intent, Side, Venue
from tests.signer.helpers import MINT, paper_ixs, request, unsigned_tx

MINT_PK = Pubkey.from_string(MINT)
OTHER_MINT = Pubkey.from_string("DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263")  # BONK
BY_NAME: dict[str, Layout] = {x.name: x for x in LAYOUTS.values()}
BUY_IN = 100_000_000  # 0.1 SOL
BUY_QUOTE = 5_000_000_000  # token base units
SELL_IN = 5_000_000_000
SELL_QUOTE = 99_000_000  # lamports
SLIP = 100


def ata(owner: Pubkey, mint: Pubkey, program: Pubkey = P.TOKEN) -> Pubkey:
    return Pubkey.find_program_address([bytes(owner), bytes(program), bytes(mint)], P.ASSOCIATED_TOKEN)[0]


def route_data(
    layout: Layout,
    amount: int,
    quoted: int,
    slippage: int = SLIP,
    *,
    fee_bps: int = 0,
    positive_bps: int = 0,
    steps: int = 1,
    variant: int = 17,
    trailing: bytes = b"",
) -> bytes:
    """Instruction data exactly as the IDL encodes it (Borsh)."""
    head = anchor_discriminator(layout.name) + (b"\x03" if layout.shared else b"")
    if layout.version == 2:
        plan = (
            steps.to_bytes(4, "little") + (bytes([0]) + (10_000).to_bytes(2, "little") + b"\x00\x01") * steps
        )
        args = (
            amount.to_bytes(8, "little")
            + quoted.to_bytes(8, "little")
            + slippage.to_bytes(2, "little")
            + fee_bps.to_bytes(2, "little")
            + positive_bps.to_bytes(2, "little")
        )
        return head + args + plan + trailing
    step = bytes([variant]) + (b"\x01" if variant in (8, 12, 15, 16, 17, 18, 21, 23, 24, 27, 28) else b"")
    plan = steps.to_bytes(4, "little") + (step + bytes([100, 0, 1])) * steps
    args = amount.to_bytes(8, "little") + quoted.to_bytes(8, "little") + slippage.to_bytes(2, "little")
    return head + plan + args + bytes([fee_bps]) + trailing


def route_ix(
    layout: Layout,
    me: Pubkey,
    *,
    buy: bool,
    mint: Pubkey = MINT_PK,
    data: bytes | None = None,
    **slots: Pubkey,
) -> Instruction:
    """A route with our accounts in the slots the layout names; ``slots`` overrides any of
    authority / source / destination / source_mint / destination_mint / optional / fee."""
    wsol, token = P.wsol_ata(me), ata(me, mint)
    n = layout.needs_accounts + 3
    accounts = [AccountMeta(Pubkey.new_unique(), False, True) for _ in range(n)]

    def put(slot: int | None, key: Pubkey, signer: bool = False) -> None:
        if slot is not None:
            accounts[slot] = AccountMeta(key, signer, not signer)

    put(layout.authority, slots.get("authority", me), signer=True)
    put(layout.source, slots.get("source", wsol if buy else token))
    put(layout.destination, slots.get("destination", token if buy else wsol))
    put(layout.source_mint, slots.get("source_mint", P.WSOL_MINT if buy else mint))
    put(layout.destination_mint, slots.get("destination_mint", mint if buy else P.WSOL_MINT))
    put(layout.optional_destination, slots.get("optional", P.JUPITER_V6))
    put(layout.fee_account, slots.get("fee", P.JUPITER_V6))
    if data is None:
        data = route_data(layout, BUY_IN, BUY_QUOTE) if buy else route_data(layout, SELL_IN, SELL_QUOTE)
    return Instruction(P.JUPITER_V6, data, accounts)


def min_out(quoted: int, slippage: int = SLIP) -> int:
    return quoted * (10_000 - slippage) // 10_000


def buy_request(me: Pubkey, ixs: list[Instruction], *, tip: int = 1_000, **over: Any) -> ExecutionRequest:
    """A live-shaped entry: wrap the SOL in, the route, the tip; declared as the router does."""
    fields: dict[str, Any] = dict(
        intent=Intent.ENTRY,
        side=Side.BUY,
        venue=Venue.JUPITER,
        amount_in=BUY_IN,
        min_out=min_out(BUY_QUOTE),
        spend=BUY_IN + 100_000,
        tip=tip,
        paper=False,
    )
    fields.update(over)
    return request(unsigned_tx(me, [*paper_ixs(me, tip=tip), *ixs]), **fields)


def sell_request(me: Pubkey, ixs: list[Instruction], *, tip: int = 1_000, **over: Any) -> ExecutionRequest:
    fields: dict[str, Any] = dict(
        intent=Intent.EXIT,
        side=Side.SELL,
        venue=Venue.JUPITER,
        amount_in=SELL_IN,
        min_out=min_out(SELL_QUOTE),
        spend=100_000,
        tip=tip,
        paper=False,
    )
    fields.update(over)
    return request(unsigned_tx(me, [*paper_ixs(me, tip=tip), *ixs]), **fields)


def wrap_ixs(me: Pubkey, lamports: int) -> list[Instruction]:
    """Jupiter's setup for a SOL input: create our wSOL account, transfer in, SyncNative."""
    from solders.system_program import transfer

    wsol = P.wsol_ata(me)
    create = Instruction(
        P.ASSOCIATED_TOKEN,
        bytes([1]),
        [
            AccountMeta(me, True, True),
            AccountMeta(wsol, False, True),
            AccountMeta(me, False, False),
            AccountMeta(P.WSOL_MINT, False, False),
            AccountMeta(P.SYSTEM, False, False),
            AccountMeta(P.TOKEN, False, False),
        ],
    )
    sync = Instruction(P.TOKEN, bytes([17]), [AccountMeta(wsol, False, True)])
    return [create, transfer({"from_pubkey": me, "to_pubkey": wsol, "lamports": lamports}), sync]


def close_wsol(me: Pubkey) -> Instruction:
    wsol = P.wsol_ata(me)
    return Instruction(
        P.TOKEN,
        bytes([9]),
        [AccountMeta(wsol, False, True), AccountMeta(me, False, True), AccountMeta(me, True, False)],
    )
