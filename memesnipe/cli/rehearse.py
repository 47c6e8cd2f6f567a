"""``memesnipe rehearse``: the LIVE pipeline against a local chain on loopback.

Starts the local network (LiteSVM chain + Solana RPC, Jito block engine and Jupiter stand-ins,
memesnipe.rehearse), a throwaway wallet funded on it (its key in a 0600 temp file for the
signer), a generated HMAC secret, topics of its own, then the Faust worker and the isolated
signer as child processes in LIVE mode (``MEMESNIPE_MODE=live``, ``MEMESNIPE_LIVE_CONFIRM`` set,
every venue URL pointed at the stand-ins, the signer's live cross-check on the local RPC, its
policy and caps untouched). The market simulator runs here, publishing prices for the mints
whose pools are on the chain; N round trips are driven through the pipeline. At the end it
prints what became of every order and compares the books (positions, fills) with the wallet's
balances on the chain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

from memesnipe.cli.run import Children, _ensure_kafka
from memesnipe.core.reconcile import book_holdings
from memesnipe.rehearse.chain import TOKEN_ACCOUNT_LEN
from memesnipe.rehearse.node import Faults
from memesnipe.settings import Settings

WALLET_SOL = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rehearsal_env(
    base: dict[str, str], data: Path, key: Keypair, net_env: dict[str, str], tag: str
) -> dict[str, str]:
    key_path = data / "wallet.json"
    key_path.write_text(json.dumps(list(bytes(key))))
    key_path.chmod(0o600)
    env = {k: v for k, v in base.items() if not k.startswith("MEMESNIPE_") or k == "MEMESNIPE_KAFKA__BROKER"}
    env.update(
        {
            "MEMESNIPE_MODE": "live",
            "MEMESNIPE_LIVE_CONFIRM": "I-ACCEPT-REAL-MONEY-RISK",
            "MEMESNIPE_HMAC_SECRET": secrets.token_hex(32),
            "MEMESNIPE_SIGNER__KEY_PATH": str(key_path),
            "MEMESNIPE_SIGNER__WALLET_PUBKEY": str(key.pubkey()),
            "MEMESNIPE_DATA_DIR": str(data),
            "MEMESNIPE_KAFKA__TOPIC_PREFIX": f"rehearse-{tag}.",
            "MEMESNIPE_KAFKA__APP_ID": f"rehearse-{tag}",
            "MEMESNIPE_METRICS_PORT": "0",
            "MEMESNIPE_SIGNER__METRICS_PORT": "0",
            "MEMESNIPE_WEB_PORT": str(_free_port()),
            "MEMESNIPE_SIMULATOR__TICK_S": "1.0",
            "PYTHONUNBUFFERED": "1",
            **net_env,
        }
    )
    return env


async def _rehearse(
    args: argparse.Namespace, settings: Settings, env: dict[str, str], key: Keypair, net: object
) -> dict[str, object]:
    from memesnipe.connectors.simulator.model import MarketSimulator
    from memesnipe.rehearse.driver import Market, RoundTrips, Watch, watch
    from memesnipe.rehearse.net import LocalNet

    assert isinstance(net, LocalNet)
    sim = MarketSimulator(args.seed, args.mints, datetime.now(UTC).replace(microsecond=0), 1.0)
    market = Market(settings, net.node, sim)
    market.add_pools()
    w = Watch()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(market.run(stop)), asyncio.create_task(watch(settings, w, stop))]
    trips = RoundTrips(settings, market, w, moment=args.moment)
    t0 = time.monotonic()
    try:
        driver = asyncio.create_task(trips.run(args.round_trips, stop))
        done, _ = await asyncio.wait(
            [driver, *tasks], timeout=args.duration, return_when=asyncio.FIRST_COMPLETED
        )
        for t in done:
            if t.exception() is not None:
                raise t.exception()  # type: ignore[misc]
        if not driver.done():
            driver.cancel()
        await asyncio.sleep(args.settle)  # let late results and position updates arrive
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return summarize(net, key, w, trips, time.monotonic() - t0)


def summarize(net: object, key: Keypair, w: object, trips: object, elapsed: float) -> dict[str, object]:
    from memesnipe.rehearse.driver import RoundTrips, Watch
    from memesnipe.rehearse.net import LocalNet

    assert isinstance(net, LocalNet) and isinstance(w, Watch) and isinstance(trips, RoundTrips)
    chain = net.node.chain
    me = key.pubkey()
    rent = chain.svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)
    mints = sorted(
        {p.mint for p in w.positions.values()}
        | {t.mint for t in trips.trips}
        | {f.mint for f in w.fills.values()}
    )
    books: dict[str, dict[str, int]] = {}
    held_by_books = book_holdings(w.positions)  # the reconciler's own reading of the books
    rent_held = 0
    for mint in mints:
        ata = get_associated_token_address(me, Pubkey.from_string(mint))
        held = chain.token_balance(ata)
        if chain.svm.get_account(ata) is not None:
            rent_held += rent
        books[mint] = {"books": held_by_books.get(mint, 0), "chain": held}
    cash = rent_booked = 0
    for f in w.fills.values():
        costs = f.swap_fee_lamports + f.priority_fee_lamports + f.jito_tip_lamports
        cash += -(f.notional_lamports + costs) if f.side.value == "buy" else f.notional_lamports - costs
        rent_booked += f.rent_lamports  # a deposit moved into a token account: not price, not cost
    with net.node.lock:
        sol_now = chain.balance(me) + chain.balance(
            get_associated_token_address(
                me, Pubkey.from_string("So11111111111111111111111111111111111111112")
            )
        )
    chain_delta = sol_now - WALLET_SOL * 10**9
    landed_txs = [lt for lt in chain.processed.values() if lt.keys and lt.keys[0] == str(me)]
    failed_fees = sum(lt.fee for lt in landed_txs if not lt.ok)
    states = Counter(s.value for s in w.states.values())
    return {
        "elapsed_s": round(elapsed, 1),
        "round_trips": len(trips.trips),
        "completed": sum(t.outcome == "done" for t in trips.trips),
        "outcomes": dict(Counter(t.outcome for t in trips.trips)),
        "entry_attempts": sum(len(t.entry_orders) for t in trips.trips),
        "orders": dict(states),
        "landed": states.get("landed", 0),
        "failed": states.get("failed", 0) + states.get("expired", 0) + states.get("rejected", 0),
        "fills": len(w.fills),
        "chain_txs": {"ok": sum(lt.ok for lt in landed_txs), "failed": sum(not lt.ok for lt in landed_txs)},
        "bundles": dict(Counter(b.state for b in net.node.bundles.values())),
        "faults_injected": dict(net.node.injected),
        "bundle_errors": dict(Counter(b.err[-90:] for b in net.node.bundles.values() if b.err)),
        "order_reasons": dict(
            Counter(
                f"{st.value}: {w.reasons.get(o, '')[:90]}"
                for o, st in w.states.items()
                if st.value != "landed"
            )
        ),
        "tokens": books,
        "token_mismatches": {m: v for m, v in books.items() if v["books"] != v["chain"]},
        "sol": {
            "chain_delta": chain_delta,
            "books_cash": cash,
            "rent_booked": rent_booked,  # the fills' rent deposits, apart from their prices
            "rent_in_token_accounts": rent_held,  # still the wallet's, on the chain
            "fees_of_failed_txs": failed_fees,
            "unexplained": chain_delta - (cash - rent_booked) + failed_fees,
        },
    }


def run(args: argparse.Namespace) -> int:
    from memesnipe.cli.topics import create_topics
    from memesnipe.rehearse.chain import LocalChain
    from memesnipe.rehearse.net import LocalNet

    faults = Faults.parse(args.faults or "")
    faults.seed = args.seed
    chain = LocalChain()
    key = Keypair()
    chain.fund(key.pubkey(), WALLET_SOL * 10**9)
    net = LocalNet.start(chain=chain, faults=faults)
    tag = f"{int(time.time())}-{secrets.token_hex(3)}"
    data = Path(tempfile.mkdtemp(prefix="memesnipe-rehearse-"))
    env = rehearsal_env(dict(os.environ), data, key, net.env(cross_check=not args.no_cross_check), tag)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        settings = Settings()
        _ensure_kafka(settings)
        asyncio.run(create_topics(settings))
        from memesnipe.cli.run import _publish_defaults

        _publish_defaults(settings)
        log_dir = data / "logs"
        log_dir.mkdir()
        kids = Children(log_dir)
        print(f"rehearse: wallet {key.pubkey()} ({WALLET_SOL} SOL on the local chain), data {data}")
        print(
            f"rehearse: rpc {net.rpc.url}  jito {net.jito.url}  jupiter {net.jupiter.url}  "
            f"faults {faults.active() or 'none'}"
        )
        try:
            kids.start("worker", ["memesnipe", "worker", "-l", "info"], env)
            kids.start("signer", ["memesnipe.signer"], env)
            summary = asyncio.run(_rehearse(args, settings, env, key, net))
        except KeyboardInterrupt:
            print("\nrehearse: stopping")
            return 1
        finally:
            kids.stop()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        net.stop()
    summary["logs"] = str(log_dir)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, default=str))
    _print(summary)
    sol = summary["sol"]
    ok = (
        not summary["token_mismatches"]
        and isinstance(sol, dict)
        and sol["unexplained"] == 0
        and sol["rent_booked"] == sol["rent_in_token_accounts"]
    )
    return 0 if ok else 2


def _print(s: dict[str, object]) -> None:
    print("\nrehearsal summary")
    for k, v in s.items():
        if k not in ("tokens", "token_mismatches", "sol", "logs"):
            print(f"  {k:<16} {v}")
    print("  books vs chain (token base units):")
    for mint, v in s["tokens"].items():  # type: ignore[attr-defined]
        flag = "" if v["books"] == v["chain"] else "   <-- MISMATCH"
        print(f"    {mint}  books {v['books']:>16}  chain {v['chain']:>16}{flag}")
    print(f"  SOL (lamports): {s['sol']}")
    print(f"  logs             {s['logs']}")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rehearse", help="run the LIVE pipeline against a local chain and venue stand-ins")
    p.add_argument("--duration", type=float, default=900.0, help="stop after N seconds (default 900)")
    p.add_argument("--round-trips", type=int, default=50, help="round trips to drive (default 50)")
    p.add_argument(
        "--faults",
        default="",
        help="e.g. drop=0.1,late=0.05,expire=0.05,slippage=0.1,partial=0.2,429=0.02,timeout=0.01",
    )
    p.add_argument("--moment", type=int, default=2, help="orders sent at the same moment (default 2)")
    p.add_argument("--mints", type=int, default=8, help="simulated mints, each with a pool (default 8)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--settle", type=float, default=5.0, help="seconds to wait for late results at the end")
    p.add_argument(
        "--no-cross-check", action="store_true", help="signer without its live simulation cross-check"
    )
    p.add_argument("--json", default="", help="also write the summary to this file")
    p.set_defaults(func=run)
