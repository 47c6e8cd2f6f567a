"""Property-based fuzzing of the effect decoder: whatever bytes and accounts an instruction of an
allowed program carries, decode_effect either returns an Effect or refuses with a reason; it
never raises anything else, and a mutated route is never read as a bigger effect unnoticed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey

from memesnipe.settings import SIGNER_PROGRAM_ALLOWLIST, SIGNER_TIP_ACCOUNTS
from memesnipe.signer import programs as P
from memesnipe.signer.effects import Effect
from memesnipe.signer.policy import PolicyConfig, Refusal, decode_effect
from tests.signer.routes import BY_NAME, route_ix

ME = Keypair().pubkey()
CFG = PolicyConfig.build(
    ME,
    tip_accounts=SIGNER_TIP_ACCOUNTS.split(","),
    programs=SIGNER_PROGRAM_ALLOWLIST.split(","),
    per_tx_cap_lamports=10**9,
    daily_cap_lamports=10**10,
)
WSOL = bytes(P.wsol_ata(ME))
PROGRAMS = [P.SYSTEM, P.TOKEN, P.TOKEN_2022, P.ASSOCIATED_TOKEN, P.JUPITER_V6, P.DRIFT_V2, P.COMPUTE_BUDGET]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode(ixs: list[Instruction]) -> Effect | str:
    msg = MessageV0.try_compile(ME, ixs, [], Hash.default())
    try:
        return decode_effect(msg, CFG, WSOL)
    except Refusal as r:
        assert r.reason
        return r.reason


@SETTINGS
@given(
    program=st.sampled_from(PROGRAMS),
    data=st.binary(max_size=200),
    n_accounts=st.integers(0, 14),
    me_at=st.integers(0, 14),
)
def test_any_instruction_of_an_allowed_program_decodes_or_refuses(
    program: Pubkey, data: bytes, n_accounts: int, me_at: int
) -> None:
    accounts = [AccountMeta(Pubkey.new_unique(), False, True) for _ in range(n_accounts)]
    if me_at < n_accounts:
        accounts[me_at] = AccountMeta(ME, True, True)
    _decode([Instruction(program, data, accounts)])


@SETTINGS
@given(
    name=st.sampled_from(sorted(BY_NAME)),
    buy=st.booleans(),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 400),
)
def test_a_mutated_route_decodes_to_its_own_bytes_or_refuses(
    name: str, buy: bool, flips: list[tuple[int, int]], cut: int
) -> None:
    """Bit flips and truncation of a real-layout route: the decoded amounts are always those the
    bytes hold at the IDL's offsets (never a misread), or the route is refused."""
    layout = BY_NAME[name]
    ix = route_ix(layout, ME, buy=buy)
    data = bytearray(ix.data)
    for at, value in flips:
        if at < len(data):
            data[at] = value
    data = data[: max(cut, 8)] if cut < len(data) else data
    out = _decode([Instruction(ix.program_id, bytes(data), ix.accounts)])
    if isinstance(out, str):
        return
    (swap,) = out.swaps
    head = 8 + (1 if layout.shared else 0)
    if layout.version == 2:
        amount = int.from_bytes(data[head : head + 8], "little")
        slip = int.from_bytes(data[head + 16 : head + 18], "little")
    else:
        amount = int.from_bytes(data[-19:-11], "little")
        slip = int.from_bytes(data[-3:-1], "little")
    assert swap.slippage_bps == slip <= 10_000
    assert (swap.out_min if layout.exact_out else swap.in_max) == amount
