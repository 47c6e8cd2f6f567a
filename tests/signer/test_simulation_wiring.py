"""The live cross-check inside the signing service: a LIVE signer with an RPC configured signs
only what the simulation agrees with; when the node is unavailable entries fail closed while
exits are signed on the offline effect checks alone (an outage must not trap a position)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from solders.litesvm import LiteSVM

from memesnipe.settings import Mode, load_settings
from memesnipe.signer import programs as P
from memesnipe.signer.journal import Journal
from memesnipe.signer.keystore import SealedKey
from memesnipe.signer.signing import SigningService
from memesnipe.signer.simulation import SimulationRpc
from memesnipe.signer.worker import build_service
from memesnipe.streams.execution import ExecutionStatus
from memesnipe.streams.trading import Intent
from tests.signer.helpers import SECRET, TIP, paper_ixs, request, unsigned_tx, wire
from tests.signer.litesvm_rpc import LiteSvmRpc
from tests.signer.routes import BY_NAME, route_ix, sell_request


def _wire_up(svc: SigningService, transport: Callable[[bytes], tuple[int, bytes]]) -> None:
    rpc = SimulationRpc(transport=transport)
    wallet, wsol = svc.cfg.wallet_bytes, bytes(P.wsol_ata(svc.cfg.wallet))
    svc.cross_check = lambda tx_b64, effect: rpc.cross_check(tx_b64, effect, wallet, wsol, 10_000)


def _svm(svc: SigningService) -> LiteSVM:
    svm = LiteSVM()
    svm.airdrop(svc.cfg.wallet, 10 * 10**9)
    svm.airdrop(TIP, svm.minimum_balance_for_rent_exemption(0))
    return svm


def test_a_live_signer_signs_what_the_simulation_agrees_with(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service(paper=False)
    svm = _svm(svc)
    node = LiteSvmRpc(svm)
    _wire_up(svc, node)
    me = svc.cfg.wallet
    tx = unsigned_tx(me, paper_ixs(me, tip=7_500), blockhash=svm.latest_blockhash())
    out = svc.handle(wire(request(tx, spend=20_000, tip=7_500, paper=False)))
    assert out.status is ExecutionStatus.SIGNED, out.reason
    assert [m for m, _ in node.requests] == ["getMultipleAccounts", "simulateTransaction"]
    # A route cannot execute on this node (no Jupiter program): the simulation fails, refused.
    sell = sell_request(me, [route_ix(BY_NAME["route_v2"], me, buy=False)])
    refused = svc.handle(wire(sell))
    assert refused.status is ExecutionStatus.REFUSED
    assert refused.reason.startswith("simulation disagrees with the effect: ")


def test_node_down_entries_fail_closed_exits_are_signed(make_service: Callable[..., SigningService]) -> None:
    svc = make_service(paper=False)

    def down(body: bytes) -> tuple[int, bytes]:
        return 503, b"upstream unavailable"

    _wire_up(svc, down)
    me = svc.cfg.wallet
    entry = svc.handle(wire(request(unsigned_tx(me, paper_ixs(me, memo=b"e")), spend=20_000, paper=False)))
    assert entry.status is ExecutionStatus.REFUSED and entry.reason.startswith("simulation unavailable")
    exit_ = svc.handle(
        wire(
            request(unsigned_tx(me, paper_ixs(me, memo=b"x")), spend=20_000, paper=False, intent=Intent.EXIT)
        )
    )
    assert exit_.status is ExecutionStatus.SIGNED and svc.stats.unchecked_exits == 1


def test_paper_requests_are_never_simulated(make_service: Callable[..., SigningService]) -> None:
    svc = make_service(paper=True)
    calls: list[bytes] = []

    def node(body: bytes) -> tuple[int, bytes]:
        calls.append(body)
        return 503, b""

    _wire_up(svc, node)
    me = svc.cfg.wallet
    assert (
        svc.handle(wire(request(unsigned_tx(me, paper_ixs(me)), spend=20_000))).status
        is ExecutionStatus.SIGNED
    )
    assert calls == []


def test_build_service_wires_the_cross_check_only_for_a_live_signer_with_an_rpc(
    key: SealedKey, tmp_path: Path
) -> None:
    for mode, url, wired in [
        (Mode.LIVE, "http://127.0.0.1:1", True),
        (Mode.LIVE, "", False),
        (Mode.PAPER, "http://127.0.0.1:1", False),
    ]:
        settings = load_settings(
            data_dir=tmp_path,
            mode=mode,
            hmac_secret=SECRET,
            live_confirm="I-ACCEPT-REAL-MONEY-RISK",
            signer={"rpc_url": url},
        )
        journal = Journal(tmp_path / f"j-{mode.value}-{bool(url)}.jsonl")
        try:
            svc = build_service(settings, key, journal)
            assert (svc.cross_check is not None) is wired, (mode, url)
        finally:
            journal.close()
