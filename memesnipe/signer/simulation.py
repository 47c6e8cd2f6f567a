"""Live cross-check: simulate the transaction on an RPC node and compare what it does to the
wallet with the decoded ``Effect`` (effects.py). Off unless an RPC endpoint is configured; when
it is, it fails closed: a node that cannot be reached, errs or answers malformed refuses the
request ("simulation unavailable").

Two JSON-RPC calls per request, at one commitment:

- ``getMultipleAccounts`` (base64) reads the watched accounts before (the pre-state, slot S);
- ``simulateTransaction`` (base64, ``sigVerify: false`` since the transaction is not signed yet,
  ``replaceRecentBlockhash: false`` so it runs as it will be sent, ``minContextSlot: S`` so the
  simulation is not older than the pre-state) returns the same accounts after.

Watched: the wallet, its wSOL account, every swap's source and destination and every account
the effect closes. Every watched token account must be the wallet's (``owner`` field), keep that
owner, grant no new delegate or close authority, and move no more than the effect says:

- non-native token accounts, each: ``post - pre >= sum(out_min as destination) -
  sum(in_max as source)`` (an account absent before, e.g. an ATA created in the same
  transaction, holds 0; one closed holds 0);
- SOL, as one total: the wallet's lamports plus the lamports of its watched token accounts (the
  wSOL amount, and the rent of its token accounts, which it gets back when it closes them, so
  creating, wrapping into, unwrapping and closing our own accounts move nothing). It may fall by
  at most ``tips + fees + sum(in_max of wSOL sources) - sum(out_min of wSOL destinations)``,
  plus the tolerance, plus ``TOKEN_ACCOUNT_RENT`` for each account the effect creates beyond
  the number of watched token accounts (the effect counts creations without naming them; the
  rent of a watched account created, as Jupiter's ATAs are, stays in the total).

A watched account that disappears must be one the effect closes, and the wallet's own account
must stay a plain system account (no Assign / Allocate).

The transport is stdlib ``http.client`` with keep-alive, not httpx: the signer process imports
no HTTP library (tests/signer/test_footprint.py). Tests inject a transport (any callable
``bytes -> (status, bytes)``).
"""

from __future__ import annotations

import base64
import binascii
import http.client
import itertools
import ssl
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from solders.pubkey import Pubkey

from memesnipe.signer import programs as P
from memesnipe.signer.effects import Effect

TOKEN_ACCOUNT_LEN = 165
TOKEN_ACCOUNT_RENT = 2_039_280
"""Rent-exempt minimum of a 165-byte token account at mainnet rent: allowed per account the
effect creates (``rent_accounts``) beyond the watched token accounts (their rent stays ours)."""
MAX_ACCOUNTS = 100
"""getMultipleAccounts (and simulateTransaction's ``accounts``) take at most 100 addresses."""
LOG_TAIL = 5
REASON_MAX = 600
DEFAULT_TOLERANCE_LAMPORTS = 10_000

_SYSTEM = bytes(P.SYSTEM)
_TOKEN_PROGRAMS = frozenset({bytes(P.TOKEN), bytes(P.TOKEN_2022)})
_WSOL_MINT = bytes(P.WSOL_MINT)

Transport = Callable[[bytes], tuple[int, bytes]]
"""POST one JSON-RPC body; returns (HTTP status, response body). Raises OSError (timeouts
included) or http.client.HTTPException when the node cannot be reached."""


class SimulationUnavailable(Exception):
    """The node could not answer (transport, HTTP status, JSON-RPC error, malformed result)."""


# ---------------------------------------------------------------------------------- accounts
@dataclass(frozen=True, slots=True)
class AccountState:
    lamports: int
    program: bytes  # the owning program
    data: bytes


@dataclass(frozen=True, slots=True)
class TokenState:
    """The 165-byte base layout of an SPL Token / Token-2022 account (extensions follow)."""

    mint: bytes
    owner: bytes
    amount: int
    delegate: bytes | None
    state: int  # 0 uninitialized, 1 initialized, 2 frozen
    native: bool
    delegated_amount: int
    close_authority: bytes | None


def _coption_key(data: bytes, at: int) -> bytes | None:
    return data[at + 4 : at + 36] if data[at : at + 4] != b"\0\0\0\0" else None


def parse_token_account(acct: AccountState) -> TokenState | None:
    """The token account in ``acct``, or None when it is not an initialized token account."""
    d = acct.data
    if acct.program not in _TOKEN_PROGRAMS or len(d) < TOKEN_ACCOUNT_LEN or d[108] == 0:
        return None
    return TokenState(
        mint=d[0:32],
        owner=d[32:64],
        amount=int.from_bytes(d[64:72], "little"),
        delegate=_coption_key(d, 72),
        state=d[108],
        native=d[109:113] != b"\0\0\0\0",
        delegated_amount=int.from_bytes(d[121:129], "little"),
        close_authority=_coption_key(d, 129),
    )


def _b58(key: bytes) -> str:
    return str(Pubkey.from_bytes(key))


# ---------------------------------------------------------------------------- JSON-RPC shapes
class _Account(msgspec.Struct):
    lamports: int
    owner: str
    data: list[str]  # [base64, "base64"]
    executable: bool = False


class _Context(msgspec.Struct):
    slot: int


class _Multiple(msgspec.Struct):
    context: _Context
    value: list[_Account | None]


class _SimValue(msgspec.Struct):
    err: Any = None
    logs: list[str] | None = None
    accounts: list[_Account | None] | None = None
    unitsConsumed: int | None = None


class _Simulated(msgspec.Struct):
    context: _Context
    value: _SimValue


class _RpcError(msgspec.Struct):
    code: int
    message: str


R = TypeVar("R")


class _Envelope(msgspec.Struct, Generic[R]):
    jsonrpc: str
    id: int | str | None = None
    result: R | None = None
    error: _RpcError | None = None


@dataclass(frozen=True, slots=True)
class Simulation:
    slot: int
    err: Any  # None on success; the RPC's TransactionError JSON otherwise
    logs: list[str]
    accounts: list[AccountState | None]  # as requested; None: no such account
    units_consumed: int | None


def _account(raw: _Account | None) -> AccountState | None:
    if raw is None or raw.lamports == 0:  # a closed account reads back with 0 lamports
        return None
    if len(raw.data) != 2 or raw.data[1] != "base64":
        raise SimulationUnavailable(f"account data not base64-encoded: {raw.data[1:]!r}")
    try:
        data = base64.b64decode(raw.data[0], validate=True)
        program = bytes(Pubkey.from_string(raw.owner))
    except (binascii.Error, ValueError):
        raise SimulationUnavailable("malformed account in the RPC response") from None
    return AccountState(raw.lamports, program, data)


# ------------------------------------------------------------------------------ HTTP transport
class HttpTransport:
    """One kept-alive connection to the RPC URL (http or https, query kept, e.g. an api-key).
    ``timeout_s`` bounds the connect and each socket read. A kept-alive connection the server
    has closed meanwhile is re-opened once (the calls are read-only, so a resend is safe)."""

    def __init__(self, url: str, *, timeout_s: float = 2.0) -> None:
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError("signer RPC URL must be http(s)://host[:port][/path]")
        self._https = u.scheme == "https"
        self._host, self._port = u.hostname, u.port
        self._path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        self._host_header = u.netloc.rpartition("@")[2]
        self._timeout = timeout_s
        self._ssl = ssl.create_default_context() if self._https else None
        self._conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=self._ssl
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def __call__(self, body: bytes) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json", "Host": self._host_header}
        for attempt in range(2):
            reused = self._conn is not None
            conn = self._conn or self._connect()
            self._conn = conn
            try:
                conn.request("POST", self._path, body, headers)
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 0:
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if resp.will_close:
                self.close()
            return resp.status, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# ----------------------------------------------------------------------------------- client
class SimulationRpc:
    """Synchronous JSON-RPC client for the cross-check (the signer's loop is synchronous)."""

    def __init__(
        self,
        url: str = "",
        *,
        commitment: str = "confirmed",
        timeout_s: float = 2.0,
        transport: Transport | None = None,
    ) -> None:
        if transport is None:
            transport = HttpTransport(url, timeout_s=timeout_s)
        self._transport = transport
        self.commitment = commitment
        self._ids = itertools.count(1)

    def close(self) -> None:
        close = getattr(self._transport, "close", None)
        if close is not None:
            close()

    def call(self, method: str, params: list[Any], result_type: type[R]) -> R:
        """One JSON-RPC call; its typed ``result``, or SimulationUnavailable naming the cause
        (never the URL, which may carry an API key)."""
        rid = next(self._ids)
        body = msgspec.json.encode({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        try:
            status, raw = self._transport(body)
        except (OSError, http.client.HTTPException) as exc:
            raise SimulationUnavailable(f"{method}: {type(exc).__name__}: {exc}") from None
        if status != 200:
            raise SimulationUnavailable(f"{method}: HTTP {status}")
        try:
            env = msgspec.json.decode(raw, type=_Envelope[result_type])  # type: ignore[valid-type]
        except msgspec.DecodeError as exc:
            raise SimulationUnavailable(f"{method}: malformed response ({exc})") from None
        if env.error is not None:
            raise SimulationUnavailable(f"{method}: JSON-RPC error {env.error.code}: {env.error.message}")
        if env.id != rid or env.result is None:
            raise SimulationUnavailable(f"{method}: response without a result for request {rid}")
        return env.result

    def get_multiple_accounts(self, addresses: Sequence[bytes]) -> tuple[int, list[AccountState | None]]:
        """The accounts as of now (slot, accounts in the order asked; None: no such account)."""
        cfg = {"encoding": "base64", "commitment": self.commitment}
        res = self.call("getMultipleAccounts", [[_b58(a) for a in addresses], cfg], _Multiple)
        if len(res.value) != len(addresses):
            raise SimulationUnavailable(
                f"getMultipleAccounts: {len(res.value)} accounts for {len(addresses)} addresses"
            )
        return res.context.slot, [_account(a) for a in res.value]

    def simulate(
        self, tx_b64: str, addresses: Sequence[bytes], *, min_context_slot: int | None = None
    ) -> Simulation:
        """Simulate the (unsigned) transaction as it will be sent; the accounts after it."""
        cfg: dict[str, Any] = {
            "encoding": "base64",
            "commitment": self.commitment,
            "sigVerify": False,
            "replaceRecentBlockhash": False,
            "accounts": {"addresses": [_b58(a) for a in addresses], "encoding": "base64"},
        }
        if min_context_slot is not None:
            cfg["minContextSlot"] = min_context_slot
        res = self.call("simulateTransaction", [tx_b64, cfg], _Simulated)
        v = res.value
        accounts: list[AccountState | None] = []
        if v.err is None:
            if v.accounts is None or len(v.accounts) != len(addresses):
                n = "no" if v.accounts is None else len(v.accounts)
                raise SimulationUnavailable(
                    f"simulateTransaction: {n} accounts for {len(addresses)} addresses"
                )
            accounts = [_account(a) for a in v.accounts]
        return Simulation(res.context.slot, v.err, v.logs or [], accounts, v.unitsConsumed)

    def cross_check(
        self,
        tx_b64: str,
        effect: Effect,
        wallet: bytes,
        wsol_account: bytes,
        tolerance_lamports: int = DEFAULT_TOLERANCE_LAMPORTS,
    ) -> str | None:
        """Simulate ``tx_b64`` and compare with ``effect``: a refusal reason, or None."""
        addresses = watched_accounts(effect, wallet, wsol_account)
        if len(addresses) > MAX_ACCOUNTS:
            return f"simulation: {len(addresses)} accounts to watch (at most {MAX_ACCOUNTS})"
        try:
            slot, pre = self.get_multiple_accounts(addresses)
            sim = self.simulate(tx_b64, addresses, min_context_slot=slot)
        except SimulationUnavailable as exc:
            return _clip(f"simulation unavailable: {exc}")
        if sim.err is not None:
            err = msgspec.json.encode(sim.err).decode()
            tail = " | ".join(sim.logs[-LOG_TAIL:])
            return _clip(f"simulation failed: {err}" + (f"; logs: {tail}" if tail else ""))
        return compare(
            effect,
            wallet,
            wsol_account,
            dict(zip(addresses, pre, strict=True)),
            dict(zip(addresses, sim.accounts, strict=True)),
            tolerance_lamports,
        )


def _clip(reason: str) -> str:
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 3] + "..."


def watched_accounts(effect: Effect, wallet: bytes, wsol_account: bytes) -> list[bytes]:
    """The wallet first, then its wSOL account, swap sources and destinations and closed
    accounts, each once."""
    keys: Iterable[bytes] = itertools.chain(
        (wallet, wsol_account),
        itertools.chain.from_iterable((s.source, s.destination) for s in effect.swaps),
        effect.closes,
    )
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------------------------- compare
def _token(addr: bytes, acct: AccountState | None, when: str) -> TokenState | str | None:
    """The token account, None if absent, or a refusal reason."""
    if acct is None:
        return None
    if acct.program == _SYSTEM and not acct.data:
        # Lamports sent to the address of an account not created yet (anyone can, e.g. to our
        # wSOL ATA's): not ours, and no reason to refuse (it would let anyone stop the signer).
        return None
    tok = parse_token_account(acct)
    if tok is None:
        return f"simulation: watched account {_b58(addr)} is not a token account {when}"
    return tok


def compare(
    effect: Effect,
    wallet: bytes,
    wsol_account: bytes,
    pre: dict[bytes, AccountState | None],
    post: dict[bytes, AccountState | None],
    tolerance_lamports: int,
) -> str | None:
    """Judge the simulated accounts (``post``) against the pre-state and the decoded effect
    (no I/O). Both maps hold every watched account (None: absent)."""
    w0, w1 = pre[wallet], post[wallet]
    if w0 is None:
        return f"simulation: wallet {_b58(wallet)} has no account"
    if w1 is not None and (w1.program != w0.program or len(w1.data) != len(w0.data)):
        return "simulation: the wallet's account is reassigned or resized"

    # The watched token accounts before and after; the SOL ones (wSOL) are judged in the total.
    states: dict[bytes, tuple[TokenState | None, TokenState | None]] = {}
    natives = {wallet, wsol_account}
    for addr in pre:
        if addr == wallet:
            continue
        t0, t1 = _token(addr, pre[addr], "before"), _token(addr, post[addr], "after")
        if isinstance(t0, str):
            return t0
        if isinstance(t1, str):
            return t1
        if reason := _token_change(addr, t0, t1, wallet, addr in effect.closes):
            return reason
        states[addr] = (t0, t1)
        if any(t is not None and t.mint == _WSOL_MINT for t in (t0, t1)):
            natives.add(addr)

    # Least net change of each non-native account; SOL the total may lose.
    least = dict.fromkeys(states, 0)
    sol_allowed = effect.tips + effect.fees
    for s in effect.swaps:
        if s.source in natives:
            sol_allowed += s.in_max
        else:
            least[s.source] -= s.in_max
        if s.destination in natives:
            sol_allowed -= s.out_min
        else:
            least[s.destination] += s.out_min
    dests = {s.destination for s in effect.swaps}
    for addr, need in least.items():
        if addr in natives:
            continue
        t0, t1 = states[addr]
        delta = (0 if t1 is None else t1.amount) - (0 if t0 is None else t0.amount)
        if delta < need:
            name = _b58(addr)
            if addr in dests and need > 0:
                return f"simulation: swap destination {name} receives {delta}, decoded minimum out {need}"
            return (
                f"simulation: token account {name} decreases by {-delta}, "
                f"decoded effect allows {max(0, -need)}"
            )

    # SOL: the wallet's lamports and those of its token accounts (rent, wSOL).
    sol0 = w0.lamports + sum(_lamports(pre[a]) for a, (t0, _) in states.items() if t0 is not None)
    sol1 = (0 if w1 is None else w1.lamports) + sum(
        _lamports(post[a]) for a, (_, t1) in states.items() if t1 is not None
    )
    # Rent paid into a watched account stays in the total; only creations beyond the watched
    # token accounts (which the decoder counts but does not name) may take rent out of it.
    unwatched = max(0, effect.rent_accounts - len(states))
    sol_allowed += unwatched * TOKEN_ACCOUNT_RENT + tolerance_lamports
    if sol0 - sol1 > sol_allowed:
        return (
            f"simulation: the wallet's SOL (lamports + its token accounts') decreases by "
            f"{sol0 - sol1} lamports, the decoded effect allows {sol_allowed} "
            f"(tolerance {tolerance_lamports} included)"
        )
    return None


def _lamports(acct: AccountState | None) -> int:
    return 0 if acct is None else acct.lamports


def _token_change(
    addr: bytes, t0: TokenState | None, t1: TokenState | None, wallet: bytes, closed: bool
) -> str | None:
    """Ownership, authorities and closing of one watched token account."""
    name = _b58(addr)
    if t0 is not None and t1 is not None:
        if t1.owner != t0.owner:
            return f"simulation: token account {name} changes owner to {_b58(t1.owner)}"
        if t1.mint != t0.mint:
            return f"simulation: token account {name} changes mint"
    for t, when in ((t0, "before"), (t1, "after")):
        if t is not None and t.owner != wallet:
            return f"simulation: token account {name} is not the wallet's ({when}: owner {_b58(t.owner)})"
    if t1 is not None:
        if t1.delegate is not None and (
            t0 is None or t1.delegate != t0.delegate or t1.delegated_amount > t0.delegated_amount
        ):
            return f"simulation: token account {name} gets a delegate ({_b58(t1.delegate)})"
        ca = t1.close_authority
        if ca is not None and ca != wallet and (t0 is None or ca != t0.close_authority):
            return f"simulation: token account {name} gets a close authority ({_b58(ca)})"
    if t0 is not None and t1 is None and not closed:
        return f"simulation: token account {name} is closed, the decoded effect closes no such account"
    return None
