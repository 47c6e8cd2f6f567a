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
from memesnipe.core.reconcile import ADOPTION_REASON, book_holdings
from memesnipe.rehearse.chain import TOKEN_ACCOUNT_LEN
from memesnipe.rehearse.node import Faults
from memesnipe.settings import Settings
from memesnipe.streams.trading import Fill, PositionUpdate

WALLET_SOL = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rehearsal_env(
    base: dict[str, str], data: Path, key: Keypair, net_env: dict[str, str], tag: str, *, paper: bool = False
) -> dict[str, str]:
    key_path = data / "wallet.json"
    key_path.write_text(json.dumps(list(bytes(key))))
    key_path.chmod(0o600)
    env = {k: v for k, v in base.items() if not k.startswith("MEMESNIPE_") or k == "MEMESNIPE_KAFKA__BROKER"}
    env.update(
        {
            "MEMESNIPE_MODE": "paper" if paper else "live",
            "MEMESNIPE_LIVE_CONFIRM": "" if paper else "I-ACCEPT-REAL-MONEY-RISK",
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
            "MEMESNIPE_EXECUTION__RECONCILE_INTERVAL_S": "5",
            "PYTHONUNBUFFERED": "1",
            **net_env,
        }
    )
    if paper:  # the paper signer signs with its own paper key and publishes it (wallet.pub)
        del env["MEMESNIPE_SIGNER__KEY_PATH"], env["MEMESNIPE_SIGNER__WALLET_PUBKEY"]
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
    trips = RoundTrips(settings, market, w, moment=args.moment, hold_s=args.hold)
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
    return summarize(net, key, w, trips, time.monotonic() - t0, paper=args.paper)


def pnl(fills: list[Fill], positions: list[PositionUpdate], failed_fees: int) -> dict[str, int]:
    """What the round trips made: SOL received minus SOL paid and every cost (the fills), the
    positions still open at their mark, and the network fees of transactions that failed on chain
    (paid, in no fill). A token account's rent is a deposit, not PnL (Fill.rent_lamports)."""
    bought = sum(f.notional_lamports for f in fills if f.side.value == "buy")
    sold = sum(f.notional_lamports for f in fills if f.side.value == "sell")
    costs = {
        "swap_fees": sum(f.swap_fee_lamports for f in fills),
        "network_and_priority_fees": sum(f.priority_fee_lamports for f in fills),
        "jito_tips": sum(f.jito_tip_lamports for f in fills),
        "fees_of_failed_txs": failed_fees,
    }
    held = sum(p.cost_lamports + p.unrealized_gross_pnl_lamports for p in positions if p.qty_tokens > 0)
    gross = sold - bought + held
    return {
        "bought": bought,
        "sold": sold,
        "open_at_mark": held,
        "gross_of_costs": gross,
        **costs,
        "net": gross - sum(costs.values()),
    }


def summarize(
    net: object, key: Keypair, w: object, trips: object, elapsed: float, *, paper: bool = False
) -> dict[str, object]:
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
    made = pnl(list(w.fills.values()), list(w.positions.values()), failed_fees)
    ours = {i for i, _f in trips.strategies}  # the round trips' own instances (not the defaults')
    made_ours = pnl(
        [f for f in w.fills.values() if f.instance_id in ours],
        [p for p in w.positions.values() if p.instance_id in ours],
        0,
    )
    landed_sigs = {lt.signature for lt in landed_txs if lt.ok}
    fill_sigs = Counter(  # the reconciler's adoption fills have no transaction: its own count
        f.signature for f in w.fills.values() if not f.paper and not f.reason.startswith(ADOPTION_REASON)
    )
    late = [
        b
        for b in net.node.bundles.values()
        if b.state == "Landed" and b.due_at - b.accepted_at >= net.node.faults.late_s
    ]
    return {
        "mode": "paper" if paper else "live",
        "pnl_lamports": made,  # every fill: the round trips and the default strategies trading beside
        "round_trips_pnl_lamports": made_ours,  # the round trips' instances alone
        "elapsed_s": round(elapsed, 1),
        "round_trips": len(trips.trips),
        "completed": sum(t.outcome == "done" for t in trips.trips),
        "outcomes": dict(Counter(t.outcome for t in trips.trips)),
        "entry_attempts": sum(len(t.entry_orders) for t in trips.trips),
        "orders": dict(states),
        "landed": states.get("landed", 0),
        "failed": states.get("failed", 0) + states.get("expired", 0) + states.get("rejected", 0),
        "fills": len(w.fills),
        "late_landings": {  # landed after the submitter's 60-s mark (fault "late"): booked?
            "landed": len(late),
            "booked": sum(1 for b in late if all(sig in fill_sigs for sig in b.signatures)),
        },
        # nothing lost: every transaction that landed is booked; nothing double-spent or
        # double-booked: one fill per landed transaction, and no fill without one
        "landed_not_booked": sorted(landed_sigs - set(fill_sigs)),
        "booked_not_landed": sorted(set(fill_sigs) - landed_sigs),
        "booked_twice": sorted(sig for sig, n in fill_sigs.items() if n > 1),
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
        "reconciler": {  # its readings during the run: a difference it adopted is a finding
            "readings": len(w.readings),
            "mismatches_reported": sum(len(r.mismatches) for r in w.readings),
            "adopted": [(a.instance_id, a.mint, a.delta) for r in w.readings for a in r.adopted],
            "last_equity_lamports": w.readings[-1].equity_lamports if w.readings else None,
        },
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


def _publish_strategies(settings: Settings) -> None:
    """Every default strategy, those with short theses disabled (rehearse.driver.SHORT_FAMILIES)."""
    import msgspec

    from memesnipe.cli.strategies import publish_specs
    from memesnipe.core.strategies.defaults import default_specs
    from memesnipe.rehearse.driver import SHORT_FAMILIES
    from memesnipe.streams.base import utcnow

    specs = [
        msgspec.structs.replace(s, enabled=s.family not in SHORT_FAMILIES, updated_at=utcnow())
        for s in default_specs()
    ]
    asyncio.run(publish_specs(settings.kafka.bootstrap_servers, settings, specs))
    off = sorted(s.instance_id for s in specs if not s.enabled)
    print(f"rehearse: {len(specs)} strategy specs, disabled (short theses, no perp venue here): {off}")


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
    net_env = net.env(cross_check=not args.no_cross_check)
    env = rehearsal_env(dict(os.environ), data, key, net_env, tag, paper=args.paper)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        settings = Settings()
        _ensure_kafka(settings)
        asyncio.run(create_topics(settings))
        _publish_strategies(settings)
        log_dir = data / "logs"
        log_dir.mkdir()
        kids = Children(log_dir)
        mode = "PAPER (fills from the paper model)" if args.paper else "LIVE"
        print(f"rehearse: {mode}; wallet {key.pubkey()} ({WALLET_SOL} SOL on the local chain), data {data}")
        print(
            f"rehearse: rpc {net.rpc.url}  jito {net.jito.url}  jupiter {net.jupiter.url}  "
            f"faults {faults.active() or 'none'}"
        )
        try:
            kids.start("worker", ["memesnipe", "worker", "-l", "info"], env)
            kids.start("signer", ["memesnipe.signer"], env)
            if not args.paper:  # the books against the chain while it runs (adopting a difference)
                kids.start("reconciler", ["memesnipe", "reconcile"], env)
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
    if args.paper:  # nothing was sent to the chain: only the round trips and their PnL count
        return 0 if summary["completed"] else 2
    ok = (
        not summary["token_mismatches"]
        and not summary["landed_not_booked"]
        and not summary["booked_not_landed"]
        and not summary["booked_twice"]
        and not summary["reconciler"]["adopted"]  # type: ignore[index]
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
    p.add_argument("--mints", type=int, default=24, help="simulated mints, each with a pool (default 24)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--hold", type=float, default=0.0, help="seconds a position is held before its exit (default 0)"
    )
    p.add_argument("--settle", type=float, default=5.0, help="seconds to wait for late results at the end")
    p.add_argument(
        "--no-cross-check", action="store_true", help="signer without its live simulation cross-check"
    )
    p.add_argument("--json", default="", help="also write the summary to this file")
    p.add_argument(
        "--paper",
        action="store_true",
        help="the same round trips on the same seeded market in PAPER mode (fills from the paper "
        "model, nothing sent to the chain), to compare its PnL with a live rehearsal's",
    )
    p.set_defaults(func=run)
