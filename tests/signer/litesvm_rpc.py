"""A JSON-RPC node backed by LiteSVM, as a transport for memesnipe.signer.simulation.

It answers ``getMultipleAccounts`` and ``simulateTransaction`` from a LiteSVM instance, in the
RPC's own shapes (serialized by solders' ``GetMultipleAccountsResp`` / ``SimulateTransactionResp``,
which are the Rust RPC client's types), honouring the options the signer sends:
``encoding``/``accounts.encoding`` must be base64, ``sigVerify`` toggles LiteSVM's signature
check, ``replaceRecentBlockhash`` must be false (LiteSVM then checks the blockhash) and
``minContextSlot`` is enforced against LiteSVM's clock (JSON-RPC error -32016 as a node does).

Post-simulation accounts: those the transaction touched come from the simulation, the others
are read from the bank, as Agave's ``simulateTransaction`` does.

``World`` is a bank to run the cross-check against (tests/signer/test_simulation.py,
bench/signer_simulation.py): our wallet, the native mint and a memecoin, a pool holding both,
and builders for a paper transaction and a stand-in buy / sell route made of SPL Token
transfers (our account pays a pool vault, a pool vault pays ours, signed by the pool).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.rpc.responses import (
    GetMultipleAccountsResp,
    RpcResponseContext,
    RpcSimulateTransactionResult,
    SimulateTransactionResp,
)
from solders.system_program import transfer
from solders.token.associated import get_associated_token_address
from solders.token.state import Mint, TokenAccount, TokenAccountState
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from memesnipe.signer import programs as P
from memesnipe.signer.effects import Effect, SwapEffect
from memesnipe.signer.simulation import TOKEN_ACCOUNT_LEN, SimulationRpc
from tests.signer.helpers import TIP, paper_ixs, priority_fee, unsigned_tx

START = 10 * 10**9
FEE = 5_000
CU_LIMIT, CU_PRICE = 200_000, 50_000
TOKEN_TRANSFER, TOKEN_APPROVE, TOKEN_SET_AUTHORITY = 3, 4, 6
AUTHORITY_ACCOUNT_OWNER, AUTHORITY_CLOSE_ACCOUNT = 2, 3


@dataclass
class LiteSvmRpc:
    svm: LiteSVM
    requests: list[tuple[str, list[Any]]] = field(default_factory=list)

    def __call__(self, body: bytes) -> tuple[int, bytes]:
        req = json.loads(body)
        method, params = req["method"], req["params"]
        self.requests.append((method, params))
        if method == "getMultipleAccounts":
            out = self._get_multiple_accounts(*params)
        elif method == "simulateTransaction":
            out = self._simulate(*params)
        else:
            out = {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}}
        out["id"] = req["id"]
        return 200, json.dumps(out).encode()

    def _slot(self) -> int:
        return int(self.svm.get_clock().slot)

    def _context_error(self, cfg: dict[str, Any]) -> dict[str, Any] | None:
        min_slot = cfg.get("minContextSlot")
        if min_slot is not None and min_slot > self._slot():
            return {
                "jsonrpc": "2.0",
                "error": {"code": -32016, "message": "Minimum context slot has not been reached"},
            }
        return None

    def _get_multiple_accounts(self, addresses: list[str], cfg: dict[str, Any]) -> dict[str, Any]:
        assert cfg.get("encoding") == "base64", cfg
        if err := self._context_error(cfg):
            return err
        accounts = [self.svm.get_account(Pubkey.from_string(a)) for a in addresses]
        resp = GetMultipleAccountsResp(accounts, RpcResponseContext(self._slot()))
        return json.loads(resp.to_json())  # type: ignore[no-any-return]

    def _simulate(self, tx_b64: str, cfg: dict[str, Any]) -> dict[str, Any]:
        assert cfg.get("encoding") == "base64", cfg
        assert cfg.get("replaceRecentBlockhash") is False, cfg
        if err := self._context_error(cfg):
            return err
        tx = VersionedTransaction.from_bytes(base64.b64decode(tx_b64))
        self.svm.with_sigverify(bool(cfg.get("sigVerify", False)))
        try:
            res = self.svm.simulate_transaction(tx)
        finally:
            self.svm.with_sigverify(True)
        wanted = cfg.get("accounts")
        value: RpcSimulateTransactionResult
        if isinstance(res, FailedTransactionMetadata):
            meta = res.meta()
            value = RpcSimulateTransactionResult(
                err=res.err(), logs=meta.logs(), units_consumed=meta.compute_units_consumed()
            )
        else:
            meta = res.meta()
            accounts: list[Account | None] | None = None
            if wanted is not None:
                assert wanted.get("encoding") == "base64", wanted
                post = dict(res.post_accounts())
                accounts = []
                for a in wanted["addresses"]:
                    key = Pubkey.from_string(a)
                    accounts.append(post[key] if key in post else self.svm.get_account(key))
            value = RpcSimulateTransactionResult(
                logs=meta.logs(), accounts=accounts, units_consumed=meta.compute_units_consumed()
            )
        ctx = RpcResponseContext(self._slot())
        resp = SimulateTransactionResp(value, ctx)  # type: ignore[call-arg]  # the stub lacks context
        return json.loads(resp.to_json())  # type: ignore[no-any-return]


def _token_ix(tag: int, accounts: list[tuple[Pubkey, bool, bool]], data: bytes = b"") -> Instruction:
    return Instruction(P.TOKEN, bytes([tag]) + data, [AccountMeta(k, s, w) for k, s, w in accounts])


def token_transfer(src: Pubkey, dst: Pubkey, owner: Pubkey, amount: int) -> Instruction:
    return _token_ix(
        TOKEN_TRANSFER,
        [(src, False, True), (dst, False, True), (owner, True, False)],
        amount.to_bytes(8, "little"),
    )


def close_account(acct: Pubkey, dest: Pubkey, owner: Pubkey) -> Instruction:
    return _token_ix(P.TOKEN_CLOSE_ACCOUNT, [(acct, False, True), (dest, False, True), (owner, True, False)])


def sync_native(acct: Pubkey) -> Instruction:
    return _token_ix(P.TOKEN_SYNC_NATIVE, [(acct, False, True)])


def ata_create(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction:
    ata = get_associated_token_address(owner, mint)
    metas = [
        AccountMeta(payer, True, True),
        AccountMeta(ata, False, True),
        AccountMeta(owner, False, False),
        AccountMeta(mint, False, False),
        AccountMeta(P.SYSTEM, False, False),
        AccountMeta(P.TOKEN, False, False),
    ]
    return Instruction(P.ASSOCIATED_TOKEN, bytes([P.ATA_CREATE_IDEMPOTENT]), metas)


@dataclass
class World:
    """A LiteSVM bank with our wallet, two mints (the native one and a memecoin), our memecoin
    account and a pool holding both, and the cross-check client wired to it."""

    svm: LiteSVM = field(default_factory=LiteSVM)
    me: Pubkey = field(default_factory=lambda: Keypair().pubkey())
    pool: Pubkey = field(default_factory=lambda: Keypair().pubkey())
    meme: Pubkey = field(default_factory=Pubkey.new_unique)

    def __post_init__(self) -> None:
        self.svm.airdrop(self.me, START)
        self.svm.airdrop(TIP, self.svm.minimum_balance_for_rent_exemption(0))
        self.rent = self.svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)
        self._mint(P.WSOL_MINT, 9)
        self._mint(self.meme, 6)
        self.wsol = get_associated_token_address(self.me, P.WSOL_MINT)
        self.my_meme = get_associated_token_address(self.me, self.meme)
        self.pool_meme = Pubkey.new_unique()
        self.pool_wsol = Pubkey.new_unique()
        self.set_token(self.pool_meme, self.meme, self.pool, 10**15)
        self.set_token(self.pool_wsol, P.WSOL_MINT, self.pool, 1_000 * 10**9)
        self.rpc_node = LiteSvmRpc(self.svm)
        self.rpc = SimulationRpc(transport=self.rpc_node)

    def _mint(self, mint: Pubkey, decimals: int) -> None:
        data = bytes(Mint(None, 10**18, decimals, True))
        lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(mint, Account(lamports=lamports, data=data, owner=P.TOKEN, executable=False))

    def set_token(
        self, addr: Pubkey, mint: Pubkey, owner: Pubkey, amount: int, *, delegate: Pubkey | None = None
    ) -> None:
        native = mint == P.WSOL_MINT
        acct = TokenAccount(
            mint, owner, amount, delegate, TokenAccountState.Initialized, self.rent if native else None, 0
        )
        lamports = self.rent + (amount if native else 0)
        self.svm.set_account(
            addr, Account(lamports=lamports, data=bytes(acct), owner=P.TOKEN, executable=False)
        )

    def tx(self, ixs: list[Instruction], *, legacy: bool = False) -> str:
        raw = unsigned_tx(self.me, ixs, blockhash=self.svm.latest_blockhash(), legacy=legacy)
        return base64.b64encode(raw).decode()

    def check(self, tx_b64: str, effect: Effect, tolerance: int = 10_000) -> str | None:
        return self.rpc.cross_check(tx_b64, effect, bytes(self.me), bytes(self.wsol), tolerance)

    def fees(self, *, n_sigs: int = 1, **kw: Any) -> Effect:
        """An effect with the fees of a transaction with our CU budget and ``n_sigs`` signatures
        (the route's stand-in is also signed by the pool)."""
        return Effect(
            n_signers=n_sigs, base_fee=FEE * n_sigs, priority_fee=priority_fee(CU_LIMIT, CU_PRICE), **kw
        )

    def budget(self) -> list[Instruction]:
        return paper_ixs(self.me, cu_limit=CU_LIMIT, cu_price=CU_PRICE)[:2]

    # A buy: SOL -> memecoin, as Jupiter lays it out (create ATAs, wrap, route, unwrap, tip).
    def buy(self, *, sol_in: int, out: int, wrap: int, tip: int = 10_000) -> list[Instruction]:
        return [
            *self.budget(),
            ata_create(self.me, self.me, P.WSOL_MINT),
            ata_create(self.me, self.me, self.meme),
            transfer({"from_pubkey": self.me, "to_pubkey": self.wsol, "lamports": wrap}),
            sync_native(self.wsol),
            token_transfer(self.wsol, self.pool_wsol, self.me, sol_in),
            token_transfer(self.pool_meme, self.my_meme, self.pool, out),
            close_account(self.wsol, self.me, self.me),
            transfer({"from_pubkey": self.me, "to_pubkey": TIP, "lamports": tip}),
        ]

    def buy_effect(self, *, wrap: int, in_max: int, out_min: int, tip: int = 10_000) -> Effect:
        swap = SwapEffect(
            "route", bytes(self.wsol), bytes(self.my_meme), bytes(P.WSOL_MINT), bytes(self.meme),
            in_max=in_max, out_min=out_min, quoted_out=out_min, slippage_bps=0,
        )  # fmt: skip
        return self.fees(
            n_sigs=2, tips=tip, wrap=wrap, rent_accounts=2, closes=[bytes(self.wsol)], swaps=[swap]
        )

    # A sell: memecoin -> SOL (create the wSOL ATA, route into it, unwrap, tip).
    def sell(self, *, tokens_in: int, sol_out: int, tip: int = 10_000) -> list[Instruction]:
        return [
            *self.budget(),
            ata_create(self.me, self.me, P.WSOL_MINT),
            token_transfer(self.my_meme, self.pool_meme, self.me, tokens_in),
            token_transfer(self.pool_wsol, self.wsol, self.pool, sol_out),
            close_account(self.wsol, self.me, self.me),
            transfer({"from_pubkey": self.me, "to_pubkey": TIP, "lamports": tip}),
        ]

    def sell_effect(self, *, in_max: int, out_min: int, tip: int = 10_000) -> Effect:
        swap = SwapEffect(
            "route", bytes(self.my_meme), bytes(self.wsol), bytes(self.meme), bytes(P.WSOL_MINT),
            in_max=in_max, out_min=out_min, quoted_out=out_min, slippage_bps=0,
        )  # fmt: skip
        return self.fees(n_sigs=2, tips=tip, rent_accounts=1, closes=[bytes(self.wsol)], swaps=[swap])

    def paper(self, *, tip: int = 7_500, extra: list[Instruction] | None = None) -> str:
        """The router's paper transaction (CU limit + price, tip, memo), then ``extra``."""
        ixs = paper_ixs(self.me, tip=tip, cu_limit=CU_LIMIT, cu_price=CU_PRICE)
        return self.tx([*ixs, *(extra or [])])
