"""Live cross-check (memesnipe.signer.simulation) against a real SVM: LiteSVM behind a JSON-RPC
transport (tests/signer/litesvm_rpc.py). A transaction whose decoded effect is complete passes;
one that does more than its effect says (a hidden transfer, a token account drained, an owner
or delegate handed over, a close to someone else) is refused, as is one whose simulation fails
and any request the node cannot answer (fail closed).

The "swap" is a stand-in route built from SPL Token transfers: our source account pays a pool
vault, a pool vault pays our destination (signed by the pool's authority; the simulation does
not verify signatures). LiteSVM 0.26 charges the signature fee only, not the priority fee, so
the simulated SOL spend is below the decoded one by the priority fee (allowed: less is fine).
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import transfer
from solders.token.state import TokenAccount, TokenAccountState

from memesnipe.signer import programs as P
from memesnipe.signer.effects import Effect, SwapEffect
from memesnipe.signer.simulation import (
    AccountState,
    HttpTransport,
    SimulationRpc,
    SimulationUnavailable,
    _SimValue,
    parse_token_account,
    watched_accounts,
)
from tests.signer.helpers import TIP, paper_ixs
from tests.signer.litesvm_rpc import (
    AUTHORITY_ACCOUNT_OWNER,
    AUTHORITY_CLOSE_ACCOUNT,
    CU_LIMIT,
    CU_PRICE,
    FEE,
    TOKEN_APPROVE,
    TOKEN_SET_AUTHORITY,
    World,
    _token_ix,
    ata_create,
    close_account,
    sync_native,
    token_transfer,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def holder(world: World) -> World:
    """The world with 5,000,000 memecoin base units in our ATA."""
    world.set_token(world.my_meme, world.meme, world.me, 5_000_000)
    return world


def _paper(world: World, *, tip: int = 7_500, extra: list[Instruction] | None = None) -> str:
    return world.paper(tip=tip, extra=extra)


# ------------------------------------------------------------------------------ legitimate
@pytest.mark.parametrize("legacy", [False, True], ids=["v0", "legacy"])
def test_paper_transaction_passes(world: World, legacy: bool) -> None:
    tx = world.tx(paper_ixs(world.me, tip=7_500, cu_limit=CU_LIMIT, cu_price=CU_PRICE), legacy=legacy)
    assert world.check(tx, world.fees(tips=7_500, memos=1), tolerance=0) is None


def test_request_shapes(world: World) -> None:
    """The documented options: base64 everywhere, no signature check (not signed yet), the
    transaction's own blockhash, the simulation no older than the pre-state."""
    assert world.check(_paper(world), world.fees(tips=7_500, memos=1)) is None
    (m1, p1), (m2, p2) = world.rpc_node.requests
    addrs = [str(world.me), str(world.wsol)]
    assert m1 == "getMultipleAccounts" and p1 == [addrs, {"encoding": "base64", "commitment": "confirmed"}]
    assert m2 == "simulateTransaction"
    cfg = p2[1]
    assert cfg["sigVerify"] is False and cfg["replaceRecentBlockhash"] is False
    assert cfg["encoding"] == "base64" and cfg["accounts"] == {"addresses": addrs, "encoding": "base64"}
    assert cfg["minContextSlot"] == world.svm.get_clock().slot


def test_lamports_sent_to_our_future_wsol_account_are_ignored(world: World) -> None:
    """Anyone may send SOL to the address of our wSOL ATA before it exists; that must not stop
    the signer (nor count as ours: the ATA's creation later keeps them as its rent)."""
    world.svm.airdrop(world.wsol, 1_000_000)
    assert world.check(_paper(world), world.fees(tips=7_500, memos=1), tolerance=0) is None
    wrap = 250_000_000
    ixs = [
        *world.budget(),
        ata_create(world.me, world.me, P.WSOL_MINT),
        transfer({"from_pubkey": world.me, "to_pubkey": world.wsol, "lamports": wrap}),
        sync_native(world.wsol),
    ]
    assert world.check(world.tx(ixs), world.fees(wrap=wrap, rent_accounts=1), tolerance=0) is None


def test_sol_wrap_and_tip_passes(world: World) -> None:
    wrap, tip = 250_000_000, 10_000
    ixs = [
        *world.budget(),
        ata_create(world.me, world.me, P.WSOL_MINT),
        transfer({"from_pubkey": world.me, "to_pubkey": world.wsol, "lamports": wrap}),
        sync_native(world.wsol),
        transfer({"from_pubkey": world.me, "to_pubkey": TIP, "lamports": tip}),
    ]
    assert world.check(world.tx(ixs), world.fees(tips=tip, wrap=wrap, rent_accounts=1), tolerance=0) is None


def test_buy_route_passes(world: World) -> None:
    tx = world.tx(world.buy(sol_in=100_000_000, out=16_198_753, wrap=100_000_000))
    effect = world.buy_effect(wrap=100_000_000, in_max=100_000_000, out_min=16_117_760)
    assert world.check(tx, effect, tolerance=0) is None


def test_buy_route_with_existing_wsol_account_passes(world: World) -> None:
    """The wSOL account already holds 0.05 SOL: the route spends part of it and the close
    returns the rest with the rent (the SOL total does not count it as spent)."""
    world.set_token(world.wsol, P.WSOL_MINT, world.me, 50_000_000)
    tx = world.tx(world.buy(sol_in=120_000_000, out=1_000, wrap=100_000_000))
    effect = world.buy_effect(wrap=100_000_000, in_max=120_000_000, out_min=1_000)
    assert world.check(tx, effect, tolerance=0) is None


def test_sell_route_passes(holder: World) -> None:
    tx = holder.tx(holder.sell(tokens_in=5_000_000, sol_out=30_000_000))
    assert holder.check(tx, holder.sell_effect(in_max=5_000_000, out_min=29_000_000), tolerance=0) is None


# ------------------------------------------------------------------------------ understated effects
def test_hidden_sol_transfer_is_refused(world: World) -> None:
    """The decoder saw the tip, not a second transfer (e.g. a CPI through an allowed program)."""
    thief = Pubkey.new_unique()
    tx = _paper(world, extra=[transfer({"from_pubkey": world.me, "to_pubkey": thief, "lamports": 50_000})])
    reason = world.check(tx, world.fees(tips=7_500, memos=1))
    assert reason is not None and "wallet's SOL" in reason and "decreases by" in reason


def test_hidden_sol_transfer_in_a_route_is_refused(world: World) -> None:
    """The ATAs a route creates and closes give no slack for an undecoded transfer below the
    rent of a token account."""
    thief = Pubkey.new_unique()
    world.svm.airdrop(thief, world.rent)
    ixs = world.buy(sol_in=100_000_000, out=16_198_753, wrap=100_000_000)
    ixs.insert(-1, transfer({"from_pubkey": world.me, "to_pubkey": thief, "lamports": 100_000}))
    effect = world.buy_effect(wrap=100_000_000, in_max=100_000_000, out_min=16_117_760)
    reason = world.check(world.tx(ixs), effect)
    assert reason is not None and "wallet's SOL" in reason


def test_understated_tip_is_refused(world: World) -> None:
    tx = _paper(world, tip=1_000_000)
    reason = world.check(tx, world.fees(tips=7_500, memos=1))
    assert reason is not None and "wallet's SOL" in reason


def test_tolerance_is_the_exact_bound(world: World) -> None:
    """Without a CU price (LiteSVM charges no priority fee) the simulated spend is exact: an
    undecoded 3,000 lamports pass with a tolerance of 3,000, not of 2,999."""
    tx = world.tx(paper_ixs(world.me, tip=7_500 + 3_000, cu_limit=CU_LIMIT, cu_price=0))
    effect = Effect(base_fee=FEE, tips=7_500, memos=1)
    assert world.check(tx, effect, tolerance=3_000) is None
    reason = world.check(tx, effect, tolerance=2_999)
    assert reason == (
        "simulation: the wallet's SOL (lamports + its token accounts') decreases by 15500 lamports, "
        "the decoded effect allows 15499 (tolerance 2999 included)"
    )


def test_route_spending_more_sol_than_in_max_is_refused(world: World) -> None:
    tx = world.tx(world.buy(sol_in=100_000_000, out=16_198_753, wrap=100_000_000))
    effect = world.buy_effect(wrap=100_000_000, in_max=60_000_000, out_min=16_117_760)
    reason = world.check(tx, effect)
    assert reason is not None and "wallet's SOL" in reason


def test_route_taking_more_tokens_than_in_max_is_refused(holder: World) -> None:
    tx = holder.tx(holder.sell(tokens_in=5_000_000, sol_out=30_000_000))
    reason = holder.check(tx, holder.sell_effect(in_max=4_000_000, out_min=29_000_000))
    assert reason == (
        f"simulation: token account {holder.my_meme} decreases by 5000000, decoded effect allows 4000000"
    )


def test_route_paying_less_than_out_min_is_refused(world: World) -> None:
    tx = world.tx(world.buy(sol_in=100_000_000, out=15_000_000, wrap=100_000_000))
    effect = world.buy_effect(wrap=100_000_000, in_max=100_000_000, out_min=16_117_760)
    reason = world.check(tx, effect)
    assert reason == (
        f"simulation: swap destination {world.my_meme} receives 15000000, decoded minimum out 16117760"
    )


def test_sell_paying_less_sol_than_out_min_is_refused(holder: World) -> None:
    """The wSOL destination is closed in the same transaction: the SOL total carries out_min."""
    tx = holder.tx(holder.sell(tokens_in=5_000_000, sol_out=20_000_000))
    reason = holder.check(tx, holder.sell_effect(in_max=5_000_000, out_min=29_000_000))
    assert reason is not None and "wallet's SOL" in reason


def test_undecoded_token_transfer_out_of_our_account_is_refused(holder: World) -> None:
    """A buy that also moves memecoins we already hold out of the destination account."""
    thief_acct = Pubkey.new_unique()
    holder.set_token(thief_acct, holder.meme, Pubkey.new_unique(), 0)
    ixs = holder.buy(sol_in=100_000_000, out=1_000_000, wrap=100_000_000)
    ixs.insert(-1, token_transfer(holder.my_meme, thief_acct, holder.me, 4_000_000))
    effect = holder.buy_effect(wrap=100_000_000, in_max=100_000_000, out_min=1_000_000)
    reason = holder.check(holder.tx(ixs), effect)
    assert reason is not None and f"swap destination {holder.my_meme} receives -3000000" in reason


def test_undecoded_wsol_transfer_is_refused(world: World) -> None:
    """Our wSOL account holds SOL; a transaction that decodes as a paper one moves it away."""
    world.set_token(world.wsol, P.WSOL_MINT, world.me, 2 * 10**9)
    thief_acct = Pubkey.new_unique()
    world.set_token(thief_acct, P.WSOL_MINT, Pubkey.new_unique(), 0)
    tx = _paper(world, extra=[token_transfer(world.wsol, thief_acct, world.me, 10**9)])
    reason = world.check(tx, world.fees(tips=7_500, memos=1))
    assert reason is not None and "wallet's SOL" in reason and "decreases by 1000" in reason


def test_owner_change_is_refused(holder: World) -> None:
    """SetAuthority(AccountOwner) hands our token account to someone else: no balance moves."""
    new_owner = Pubkey.new_unique()
    set_owner = _token_ix(
        TOKEN_SET_AUTHORITY,
        [(holder.my_meme, False, True), (holder.me, True, False)],
        bytes([AUTHORITY_ACCOUNT_OWNER, 1]) + bytes(new_owner),
    )
    ixs = holder.sell(tokens_in=1_000_000, sol_out=6_000_000)
    ixs.insert(-1, set_owner)
    reason = holder.check(holder.tx(ixs), holder.sell_effect(in_max=1_000_000, out_min=6_000_000))
    assert reason == f"simulation: token account {holder.my_meme} changes owner to {new_owner}"


def test_new_close_authority_is_refused(holder: World) -> None:
    other = Pubkey.new_unique()
    ix = _token_ix(
        TOKEN_SET_AUTHORITY,
        [(holder.my_meme, False, True), (holder.me, True, False)],
        bytes([AUTHORITY_CLOSE_ACCOUNT, 1]) + bytes(other),
    )
    ixs = holder.sell(tokens_in=1_000_000, sol_out=6_000_000)
    ixs.insert(-1, ix)
    reason = holder.check(holder.tx(ixs), holder.sell_effect(in_max=1_000_000, out_min=6_000_000))
    assert reason == f"simulation: token account {holder.my_meme} gets a close authority ({other})"


def test_delegate_approval_is_refused(holder: World) -> None:
    """Approve moves nothing now; the delegate can drain the account later."""
    spender = Pubkey.new_unique()
    approve = _token_ix(
        TOKEN_APPROVE,
        [(holder.my_meme, False, True), (spender, False, False), (holder.me, True, False)],
        (10**12).to_bytes(8, "little"),
    )
    ixs = holder.sell(tokens_in=1_000_000, sol_out=6_000_000)
    ixs.insert(-1, approve)
    reason = holder.check(holder.tx(ixs), holder.sell_effect(in_max=1_000_000, out_min=6_000_000))
    assert reason == f"simulation: token account {holder.my_meme} gets a delegate ({spender})"


def test_close_to_someone_else_is_refused(world: World) -> None:
    """The effect says our wSOL account closes back to us; its rent and SOL go elsewhere."""
    world.set_token(world.wsol, P.WSOL_MINT, world.me, 0)
    tx = _paper(world, extra=[close_account(world.wsol, Pubkey.new_unique(), world.me)])
    reason = world.check(tx, world.fees(tips=7_500, memos=1, closes=[bytes(world.wsol)]))
    assert (
        reason is not None
        and "wallet's SOL" in reason
        and f"decreases by {world.rent + 7_500 + FEE} " in reason
    )


def test_undecoded_close_is_refused(world: World) -> None:
    world.set_token(world.wsol, P.WSOL_MINT, world.me, 0)
    tx = _paper(world, extra=[close_account(world.wsol, world.me, world.me)])
    reason = world.check(tx, world.fees(tips=7_500, memos=1))
    assert reason == (
        f"simulation: token account {world.wsol} is closed, the decoded effect closes no such account"
    )


def test_destination_not_ours_is_refused(world: World) -> None:
    """The decoded destination is not the wallet's account."""
    effect = world.buy_effect(wrap=100_000_000, in_max=100_000_000, out_min=1)
    effect.swaps = [
        SwapEffect("route", bytes(world.wsol), bytes(world.pool_meme), None, None, 10**8, 1, 1, 0)
    ]
    reason = world.check(world.tx(world.buy(sol_in=100_000_000, out=10, wrap=100_000_000)), effect)
    assert reason is not None and f"{world.pool_meme} is not the wallet's" in reason


def test_wallet_reassigned_is_refused(world: World) -> None:
    assign = Instruction(
        P.SYSTEM, (1).to_bytes(4, "little") + bytes(P.TOKEN), [AccountMeta(world.me, True, True)]
    )  # SystemInstruction::Assign
    reason = world.check(_paper(world, extra=[assign]), world.fees(tips=7_500, memos=1))
    assert reason == "simulation: the wallet's account is reassigned or resized"


# ------------------------------------------------------------------------------ failures
def test_failing_simulation_is_refused_with_error_and_logs(holder: World) -> None:
    tx = holder.tx(holder.sell(tokens_in=9_000_000, sol_out=30_000_000))  # holds 5,000,000
    reason = holder.check(tx, holder.sell_effect(in_max=9_000_000, out_min=29_000_000))
    assert reason is not None
    assert reason.startswith('simulation failed: {"InstructionError":[3,{"Custom":1}]}; logs: ')
    assert "insufficient funds" in reason


def test_stale_blockhash_is_refused(world: World) -> None:
    tx = _paper(world)
    world.svm.expire_blockhash()
    reason = world.check(tx, world.fees(tips=7_500, memos=1))
    assert reason is not None and reason.startswith('simulation failed: "BlockhashNotFound"')


def _static(status: int, body: bytes) -> SimulationRpc:
    return SimulationRpc(transport=lambda _: (status, body))


def _raising(exc: BaseException) -> SimulationRpc:
    def transport(_: bytes) -> tuple[int, bytes]:
        raise exc

    return SimulationRpc(transport=transport)


@pytest.mark.parametrize(
    ("rpc", "detail"),
    [
        (_static(500, b"Internal Server Error"), "getMultipleAccounts: HTTP 500"),
        (_static(429, b'{"error":"rate limited"}'), "getMultipleAccounts: HTTP 429"),
        (_raising(TimeoutError("timed out")), "getMultipleAccounts: TimeoutError: timed out"),
        (_raising(ConnectionRefusedError(111, "refused")), "getMultipleAccounts: ConnectionRefusedError"),
        (_static(200, b"<html>"), "getMultipleAccounts: malformed response"),
        (
            _static(200, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"Node is behind"}}'),
            "getMultipleAccounts: JSON-RPC error -32005: Node is behind",
        ),
        (_static(200, b'{"jsonrpc":"2.0","id":1,"result":null}'), "without a result"),
        (
            _static(200, b'{"jsonrpc":"2.0","id":1,"result":{"context":{"slot":1},"value":[null]}}'),
            "1 accounts for 2 addresses",
        ),
    ],
    ids=["http500", "http429", "timeout", "refused", "html", "rpc_error", "null_result", "short"],
)
def test_unavailable_node_is_refused(world: World, rpc: SimulationRpc, detail: str) -> None:
    reason = rpc.cross_check(_paper(world), world.fees(tips=7_500), bytes(world.me), bytes(world.wsol))
    assert reason is not None and reason.startswith("simulation unavailable: ") and detail in reason


def test_simulation_failing_after_the_pre_state_is_refused(world: World) -> None:
    """getMultipleAccounts answers, simulateTransaction does not (HTTP 503 / timeout)."""
    for fault in ((503, b""), TimeoutError("timed out")):

        def transport(body: bytes, fault: object = fault) -> tuple[int, bytes]:
            if b"getMultipleAccounts" in body:
                return world.rpc_node(body)
            if isinstance(fault, BaseException):
                raise fault
            assert isinstance(fault, tuple)
            return fault

        reason = SimulationRpc(transport=transport).cross_check(
            _paper(world), world.fees(tips=7_500), bytes(world.me), bytes(world.wsol)
        )
        assert reason is not None and reason.startswith("simulation unavailable: simulateTransaction: ")


def test_node_behind_the_pre_state_is_refused(world: World) -> None:
    """minContextSlot: a load-balanced node older than the pre-state's slot answers -32016."""
    calls: list[bytes] = []

    def transport(body: bytes) -> tuple[int, bytes]:
        calls.append(body)
        if len(calls) == 1:
            status, raw = world.rpc_node(body)
            resp = json.loads(raw)
            resp["result"]["context"]["slot"] += 5
            return status, json.dumps(resp).encode()
        return world.rpc_node(body)

    reason = SimulationRpc(transport=transport).cross_check(
        _paper(world), world.fees(tips=7_500), bytes(world.me), bytes(world.wsol)
    )
    assert reason == (
        "simulation unavailable: simulateTransaction: JSON-RPC error -32016: "
        "Minimum context slot has not been reached"
    )


def test_simulation_without_accounts_is_unavailable(world: World) -> None:
    """The documented example response (no ``accounts``: none were asked) is parsed, and a
    success without the accounts asked for is a malformed answer."""
    fixture = (FIXTURES / "jupiter" / "simulate_transaction.json").read_bytes()
    calls: list[bytes] = []

    def transport(body: bytes) -> tuple[int, bytes]:
        calls.append(body)
        if len(calls) == 1:
            return world.rpc_node(body)
        resp = json.loads(fixture)
        resp["id"] = json.loads(body)["id"]
        return 200, json.dumps(resp).encode()

    reason = SimulationRpc(transport=transport).cross_check(
        _paper(world), world.fees(tips=7_500), bytes(world.me), bytes(world.wsol)
    )
    assert reason == "simulation unavailable: simulateTransaction: no accounts for 2 addresses"
    value = msgspec.convert(json.loads(fixture)["result"]["value"], _SimValue)
    assert value.err is None and value.unitsConsumed == 1714 and value.accounts is None


# ------------------------------------------------------------------------------ pieces
def test_parse_token_account_layout(world: World) -> None:
    delegate, close = Pubkey.new_unique(), Pubkey.new_unique()
    acct = TokenAccount(world.meme, world.me, 123_456, delegate, TokenAccountState.Frozen, None, 77, close)  # type: ignore[arg-type]  # stub says int
    tok = parse_token_account(AccountState(1, bytes(P.TOKEN), bytes(acct) + b"\x02extension"))
    assert tok is not None
    assert (tok.mint, tok.owner, tok.amount) == (bytes(world.meme), bytes(world.me), 123_456)
    assert (tok.delegate, tok.delegated_amount, tok.close_authority) == (bytes(delegate), 77, bytes(close))
    assert tok.state == 2 and not tok.native
    assert parse_token_account(AccountState(1, bytes(P.SYSTEM), bytes(acct))) is None
    assert parse_token_account(AccountState(1, bytes(P.TOKEN), bytes(acct)[:100])) is None


def test_watched_accounts_are_unique_and_wallet_first(world: World) -> None:
    effect = world.buy_effect(wrap=1, in_max=1, out_min=1)
    assert watched_accounts(effect, bytes(world.me), bytes(world.wsol)) == [
        bytes(world.me),
        bytes(world.wsol),
        bytes(world.my_meme),
    ]


# ------------------------------------------------------------------------------ HTTP transport
class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall
    status = 200
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(body)
        result = {"context": {"slot": 3}, "value": [None]}
        out = json.dumps({"jsonrpc": "2.0", "id": json.loads(body)["id"], "result": result}).encode()
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"bodies": [], "status": 200})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/rpc?api-key=secret", handler
    srv.shutdown()
    srv.server_close()


def test_http_transport_keeps_the_connection_and_hides_the_url(server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    rpc = SimulationRpc(url, timeout_s=2.0)
    for _ in range(3):
        slot, accounts = rpc.get_multiple_accounts([bytes(Pubkey.new_unique())])
        assert (slot, accounts) == (3, [None])
    assert len(handler.bodies) == 3
    handler.status = 500
    with pytest.raises(SimulationUnavailable) as exc:
        rpc.get_multiple_accounts([bytes(Pubkey.new_unique())])
    assert str(exc.value) == "getMultipleAccounts: HTTP 500" and "secret" not in str(exc.value)
    rpc.close()


def test_http_transport_unreachable_is_unavailable(world: World) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connection refused
        rpc = SimulationRpc(f"http://127.0.0.1:{port}/?api-key=secret", timeout_s=0.5)
        reason = rpc.cross_check(_paper(world), world.fees(tips=7_500), bytes(world.me), bytes(world.wsol))
    assert reason is not None and reason.startswith("simulation unavailable: getMultipleAccounts: ")
    assert "secret" not in reason


def test_http_transport_rejects_other_schemes() -> None:
    with pytest.raises(ValueError):
        HttpTransport("ws://127.0.0.1:8900")
