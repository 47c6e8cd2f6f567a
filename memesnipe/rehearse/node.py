"""One local network for the stand-ins: a LocalChain, its slot clock, Jito's bundle queue and the
injected faults, behind one lock (the stand-ins serve from threads).

Slots advance every ``slot_s`` (a background thread, ``start``); each slot issues a new
blockhash and executes the bundles due by then, in the order accepted. A bundle is all or
nothing: when one of its transactions fails, every account it touched is restored and it is
reported Failed (Jito's revert protection: a failed bundle pays no fee).

Faults (``Faults.parse("drop=0.2,late=0.1,...")``, probabilities per event from a seeded RNG):

- ``drop``: a bundle is accepted, never executed, and reported Failed after ``drop_after_s``;
- ``late``: a bundle is accepted, Pending, and executed only ``late_s`` after acceptance (past
  the submitter's 60-s mark; its blockhash is still valid: 150 slots of ``slot_s`` = 0.45 s);
- ``expire``: the blockhash of a bundle's transaction has expired when it comes to execute;
- ``slippage``: the pool moves ``move_bps`` against the trade just before it executes;
- ``partial``: of several bundles due in the same slot (a multi-order moment) only the first lands,
  the others are dropped;
- ``429`` / ``timeout``: an HTTP request is answered 429, or answered only after ``hang_s``
  (past the client's timeout; the request itself was processed, as when a reply is lost).
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass, field, fields
from typing import Any

from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from memesnipe.rehearse.chain import Landed, LocalChain
from memesnipe.signer import programs as P

JITO_TIP_ACCOUNTS = (
    "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5",
    "HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe",
    "Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY",
    "ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49",
    "DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh",
    "ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt",
    "DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL",
    "3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT",
)
"""Mainnet's Jito tip accounts (the signer's allowlist), funded rent-exempt on the local chain."""

_NAMES = {"429": "http_429"}


@dataclass
class Faults:
    drop: float = 0.0
    late: float = 0.0
    expire: float = 0.0
    slippage: float = 0.0
    partial: float = 0.0
    http_429: float = 0.0
    timeout: float = 0.0
    late_s: float = 61.5
    drop_after_s: float = 2.0
    move_bps: int = 500
    hang_s: float = 12.0
    seed: int = 0

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """``"drop=0.2,late,429=0.05,late_s=70"``: a bare name is probability 1."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for item in (x.strip() for x in spec.split(",")):
            if not item:
                continue
            name, _, raw = item.partition("=")
            name = _NAMES.get(name.strip(), name.strip())
            if name not in known:
                raise ValueError(f"unknown fault {name!r} (known: {', '.join(sorted(known))})")
            try:
                values[name] = int(raw) if known[name].type in ("int", int) else float(raw or 1.0)
            except ValueError:
                raise ValueError(f"fault {name}: {raw!r} is not a number") from None
        return cls(**values)

    def active(self) -> list[str]:
        return [
            n
            for n in ("drop", "late", "expire", "slippage", "partial", "http_429", "timeout")
            if getattr(self, n)
        ]


@dataclass
class Bundle:
    bundle_id: str
    txs: list[VersionedTransaction]
    accepted_at: float
    due_at: float
    fate: str  # land | drop | expire | slippage
    state: str = "Pending"  # Pending | Landed | Failed (| Invalid: unknown)
    slot: int | None = None
    err: str = ""
    results: list[Landed] = field(default_factory=list)

    @property
    def signatures(self) -> list[str]:
        return [str(t.signatures[0]) for t in self.txs]


def bundle_id(txs: list[VersionedTransaction]) -> str:
    """Jito's bundle id: SHA-256 of the transactions' signatures (a resend has the same id)."""
    return hashlib.sha256(b"".join(bytes(t.signatures[0]) for t in txs)).hexdigest()


class LocalNode:
    """The chain, its clock, the bundle queue and the faults; thread-safe through ``lock``."""

    def __init__(
        self, chain: LocalChain | None = None, *, faults: Faults | None = None, slot_s: float = 0.45
    ) -> None:
        self.chain = chain or LocalChain()
        self.faults = faults or Faults()
        self.rng = random.Random(self.faults.seed)
        self.slot_s = slot_s
        self.lock = threading.RLock()
        self.bundles: dict[str, Bundle] = {}
        self.injected: dict[str, int] = {}  # fault -> times it happened
        self.priority_fees: dict[int, int] = {}  # slot -> highest CU price landed in it
        self.started = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        rent0 = self.chain.svm.minimum_balance_for_rent_exemption(0)
        for acct in JITO_TIP_ACCOUNTS:
            self.chain.fund(Pubkey.from_string(acct), rent0)

    # -- faults ----------------------------------------------------------------------------------
    def roll(self, fault: str) -> bool:
        with self.lock:
            p = float(getattr(self.faults, fault))
            hit = p > 0 and self.rng.random() < p
            if hit:
                self.injected[fault] = self.injected.get(fault, 0) + 1
            return hit

    def count(self, what: str) -> None:
        with self.lock:
            self.injected[what] = self.injected.get(what, 0) + 1

    # -- clock -------------------------------------------------------------------------------------
    def start(self) -> LocalNode:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="local-node", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.slot_s):
            self.tick()

    def tick(self, now: float | None = None) -> None:
        """One slot: a new blockhash, then the bundles due."""
        now = time.monotonic() if now is None else now
        with self.lock:
            self.chain.advance_slot()
            due = [b for b in self.bundles.values() if b.state == "Pending" and b.due_at <= now]
            landing = [b for b in due if b.fate != "drop"]
            if len(landing) > 1 and self.roll("partial"):
                for b in landing[1:]:
                    b.fate = "drop"
            for b in due:
                self._execute(b)

    # -- execution ---------------------------------------------------------------------------------
    def send_transaction(self, tx: VersionedTransaction) -> Landed:
        """RPC sendTransaction (skipPreflight): executes now, fee charged on failure too."""
        with self.lock:
            landed = self.chain.send(tx)
            self._note(landed)
            return landed

    def _note(self, landed: Landed) -> None:
        if landed.ok and landed.cu_price:
            self.priority_fees[landed.slot] = max(self.priority_fees.get(landed.slot, 0), landed.cu_price)

    def accept_bundle(self, txs: list[VersionedTransaction], now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        bid = bundle_id(txs)
        with self.lock:
            if bid in self.bundles:
                return bid  # a resend (a lost reply, a retry): the same bundle, run once
            fate, due = "land", now
            if self.roll("drop"):
                fate, due = "drop", now + self.faults.drop_after_s
            elif self.roll("late"):
                due = now + self.faults.late_s
            elif self.roll("expire"):
                fate = "expire"
            elif self.roll("slippage"):
                fate = "slippage"
            self.bundles[bid] = Bundle(bid, txs, now, due, fate)
            return bid

    def _execute(self, b: Bundle) -> None:
        chain = self.chain
        if b.fate == "drop":
            b.state, b.err = "Failed", "bundle dropped: not included by any leader"
            return
        if b.fate == "expire":
            for tx in b.txs:
                chain.forget_blockhash(tx.message.recent_blockhash)
        if b.fate == "slippage":
            self._move_against(b.txs)
        keys = sorted({k for tx in b.txs for k in tx.message.account_keys}, key=bytes)
        snap = chain.snapshot(keys)
        results: list[Landed] = []
        for tx in b.txs:
            landed = chain.send(tx)
            results.append(landed)
            if not landed.ok:  # nothing of the bundle lands: no fee, no signature on chain
                chain.restore(snap, [r.signature for r in results if r.signature in chain.processed])
                b.state, b.err, b.results = "Failed", f"transaction {landed.signature}: {landed.err}", results
                return
        for landed in results:
            self._note(landed)
        b.state, b.slot, b.results = "Landed", chain.slot, results

    def _move_against(self, txs: list[VersionedTransaction]) -> None:
        """Another trade lands first: the pool of each route moves ``move_bps`` in the direction
        that hurts it (price up before a buy, down before a sell)."""
        factor = (10_000 + self.faults.move_bps) / 10_000
        for tx in txs:
            for mint, buy in _routes(tx):
                pool = self.chain.pools.get(mint)
                if pool is not None:
                    price = pool.sol_reserve / pool.token_reserve
                    self.chain.set_price(pool.mint, price * factor if buy else price / factor)

    # -- views -------------------------------------------------------------------------------------
    def bundle(self, bid: str) -> Bundle | None:
        with self.lock:
            return self.bundles.get(bid)


def _routes(tx: VersionedTransaction) -> list[tuple[bytes, bool]]:
    """(mint, is a buy) of each Jupiter route in the transaction."""
    from memesnipe.signer.effects import EffectError
    from memesnipe.signer.jupiter import decode_jupiter

    msg = tx.message
    keys = list(msg.account_keys)
    out = []
    for ci in msg.instructions:
        if keys[ci.program_id_index] != P.JUPITER_V6:
            continue
        try:
            swap = decode_jupiter(
                bytes(ci.data), bytes(ci.accounts), [bytes(k) for k in keys], bytes(keys[0])
            )
        except EffectError:
            continue
        buy = swap.in_mint == bytes(P.WSOL_MINT)
        mint = swap.out_mint if buy else swap.in_mint
        if mint is not None:
            out.append((mint, buy))
    return out
