"""Cost of the signer's live cross-check (memesnipe/signer/simulation.py), per request, reported
apart from the signer bench (bench/signer.py): the cross-check is off unless an RPC endpoint is
configured, and with one its cost is dominated by the node's two round trips.

Three measurements of ``SimulationRpc.cross_check`` (getMultipleAccounts + simulateTransaction +
the comparison), for the router's paper transaction and for a Jupiter-shaped buy (create ATAs,
wrap, route, unwrap, tip):

- ``litesvm``: the node is LiteSVM in-process (tests/signer/litesvm_rpc.py): the signer's side
  plus a real SVM executing the transaction, without a network;
- ``http``: the same node behind a loopback HTTP/1.1 server (keep-alive), through the signer's
  own transport (stdlib http.client);
- ``replay``: the node's recorded answers replayed: the signer's own CPU per cross-check (JSON
  encode/decode, account parsing, the comparison).

A real RPC node adds its round trips (two per request, typically 1-50 ms each) and its own
simulation time on top of ``replay``.

    python bench/signer_simulation.py [--n 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import http.server
import itertools
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memesnipe.signer.effects import Effect
from memesnipe.signer.simulation import SimulationRpc
from tests.signer.litesvm_rpc import LiteSvmRpc, World


def cases(world: World) -> dict[str, tuple[str, Effect]]:
    paper = (world.paper(tip=7_500), world.fees(tips=7_500, memos=1))
    buy = (
        world.tx(world.buy(sol_in=100_000_000, out=16_198_753, wrap=100_000_000)),
        world.buy_effect(wrap=100_000_000, in_max=100_000_000, out_min=16_117_760),
    )
    return {"paper": paper, "buy": buy}


def timed(fn: Callable[[], str | None], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        reason = fn()
        out.append((time.perf_counter_ns() - t0) / 1e6)
        assert reason is None, reason
    return out


def replay_rpc(world: World, tx: str, effect: Effect) -> SimulationRpc:
    """Record the node's two answers once; replay them (ids 1 and 2) without a node."""
    recorded: list[bytes] = []

    def record(body: bytes) -> tuple[int, bytes]:
        status, raw = world.rpc_node(body)
        recorded.append(raw)
        return status, raw

    SimulationRpc(transport=record).cross_check(tx, effect, bytes(world.me), bytes(world.wsol), 10_000)
    answers = itertools.cycle(recorded)
    rpc = SimulationRpc(transport=lambda _: (200, next(answers)))
    rpc._ids = itertools.cycle([1, 2])  # type: ignore[assignment]  # the recorded answers' ids
    return rpc


def http_node(node: LiteSvmRpc) -> tuple[str, http.server.ThreadingHTTPServer]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

        def do_POST(self) -> None:
            status, out = node(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}/", srv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="cross-checks per measurement")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    world = World()
    url, srv = http_node(world.rpc_node)
    http_rpc = SimulationRpc(url, timeout_s=2.0)
    print(f"cross_check, {args.n} calls x {args.repeat}: median / p99 ms per call")
    for name, (tx, effect) in cases(world).items():
        rpcs = {
            "litesvm": world.rpc,
            "http": http_rpc,
            "replay": replay_rpc(world, tx, effect),
        }
        for mode, rpc in rpcs.items():

            def one(rpc: SimulationRpc = rpc, tx: str = tx, effect: Effect = effect) -> str | None:
                return rpc.cross_check(tx, effect, bytes(world.me), bytes(world.wsol), 10_000)

            timed(one, min(200, args.n))  # warm-up
            runs = [sorted(timed(one, args.n)) for _ in range(args.repeat)]
            med = statistics.median(statistics.median(r) for r in runs)
            p99 = statistics.median(r[int(0.99 * (len(r) - 1))] for r in runs)
            print(f"  {name:6s} {mode:8s} {med:8.3f} {p99:8.3f}")
    http_rpc.close()
    srv.shutdown()


if __name__ == "__main__":
    main()
