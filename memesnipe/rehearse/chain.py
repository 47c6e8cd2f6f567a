"""A local Solana chain to rehearse on: LiteSVM executes every instruction it has a program for
(System, SPL Token, Token-2022, ATA, Memo, Compute Budget), and a Jupiter route, whose program
cannot be built or downloaded here, is executed by its effect against a simulated
constant-product pool, atomically with the rest of the transaction.

How a signed transaction is executed:
1. The chain verifies every signature itself against the message as sent (LiteSVM's own
   signature check is off, because step 3 changes the message); a bad signature, a resend of an
   already processed signature or an unknown / expired blockhash fails as on mainnet.
2. Each Jupiter route is decoded with the signer's own decoder (memesnipe.signer.jupiter). Its
   input is priced on the mint's pool (x*y=k, fee ``fee_bps``); an output below the route's
   on-chain minimum fails the whole transaction ("slippage tolerance exceeded", Jupiter error
   6001), as the program would.
3. The route is replaced by two SPL Token transfers, source -> pool vault (authority: the
   wallet) and pool vault -> destination (authority: the pool), and the transaction is executed
   by LiteSVM with every other instruction unchanged and in order, so a wrap, an ATA creation,
   a close, the tip and the memo happen exactly as they would.
4. Fees are those of mainnet: 5,000 lamports per signature of the original transaction plus the
   priority fee (compute-unit price x limit), charged on failure too.

Slots and blockhashes: ``advance_slot`` moves the clock one slot and issues a new blockhash; a
transaction is accepted while its blockhash is at most ``BLOCKHASH_VALID_SLOTS`` (150) slots old,
as mainnet's ``lastValidBlockHeight`` says, and ``forget_blockhash`` expires one at once. Every
processed transaction keeps what getTransaction reports: its slot, the account keys with their
lamports and token balances before and after, the fee and the logs. ``simulate`` runs the same
rewritten transaction without committing it (simulateTransaction), ``snapshot`` / ``restore``
undo a bundle that failed part-way (a Jito bundle is all or nothing, fee included).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from solders.account import Account
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata

from memesnipe.signer import programs as P
from memesnipe.signer.effects import EffectError
from memesnipe.signer.jupiter import decode_jupiter

FEE_PER_SIGNATURE = 5_000
BLOCKHASH_VALID_SLOTS = 150
ROUTE_UNITS = 60_000
"""Compute units a route is reported to use in simulation (the stand-in transfers use far fewer;
a mainnet route of one hop uses 40-150k), so a limit sized from a simulation fits a real route."""
TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82
TOKEN_TRANSFER = 3


@dataclass
class Pool:
    """A constant-product pool of wSOL against one mint, held in two vaults of the pool's."""

    mint: Pubkey
    sol_vault: Pubkey
    token_vault: Pubkey
    sol_reserve: int
    token_reserve: int
    fee_bps: int = 25

    def out_for(self, amount_in: int, *, buy: bool) -> int:
        rin, rout = (self.sol_reserve, self.token_reserve) if buy else (self.token_reserve, self.sol_reserve)
        net = amount_in * (10_000 - self.fee_bps) // 10_000
        return rout * net // (rin + net)


@dataclass(frozen=True)
class TokenBalance:
    index: int
    mint: str
    owner: str
    amount: int
    decimals: int


@dataclass
class Landed:
    """The outcome of one sent transaction, as getTransaction / getSignatureStatuses would say."""

    signature: str
    ok: bool
    err: str = ""
    fee: int = 0
    logs: list[str] = field(default_factory=list)
    slot: int = 0
    keys: list[str] = field(default_factory=list)
    pre_balances: list[int] = field(default_factory=list)
    post_balances: list[int] = field(default_factory=list)
    pre_tokens: list[TokenBalance] = field(default_factory=list)
    post_tokens: list[TokenBalance] = field(default_factory=list)
    failed_ix: int | None = None  # index of the instruction that failed, when one did
    custom_error: int | None = None  # its program's error code (6001: Jupiter slippage)
    units: int = 0
    cu_price: int = 0


@dataclass
class Simulated:
    err: str
    logs: list[str]
    units: int
    accounts: list[Account | None]  # as asked; None: no such account


class LocalChain:
    def __init__(self, *, fee_bps: int = 25) -> None:
        self.svm = LiteSVM().with_sigverify(False).with_blockhash_check(False).with_transaction_history(0)
        self.pool_authority = Keypair()
        self.pools: dict[bytes, Pool] = {}
        self.fee_bps = fee_bps
        self.processed: dict[str, Landed] = {}
        self.slot = int(self.svm.get_clock().slot)
        self.blockhashes: dict[Hash, int] = {self.svm.latest_blockhash(): self.slot + BLOCKHASH_VALID_SLOTS}
        self._set_mint(P.WSOL_MINT, 9, None)

    # -- state ---------------------------------------------------------------------------------
    def _set_mint(self, mint: Pubkey, decimals: int, authority: Pubkey | None) -> None:
        coption = (1).to_bytes(4, "little") + bytes(authority) if authority else bytes(36)
        data = coption + (0).to_bytes(8, "little") + bytes([decimals, 1]) + bytes(36)
        rent = self.svm.minimum_balance_for_rent_exemption(MINT_LEN)
        self.svm.set_account(mint, Account(lamports=rent, data=data, owner=P.TOKEN, executable=False))

    def fund(self, account: Pubkey, lamports: int) -> None:
        """Give an account lamports (a wallet, or a tip account made rent-exempt as on mainnet)."""
        prev = self.svm.get_account(account)
        have = prev.lamports if prev is not None else 0
        self.svm.set_account(
            account, Account(lamports=have + lamports, data=b"", owner=P.SYSTEM, executable=False)
        )

    def set_token_account(self, address: Pubkey, mint: Pubkey, owner: Pubkey, amount: int) -> None:
        native = mint == P.WSOL_MINT
        rent = self.svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)
        data = (
            bytes(mint)
            + bytes(owner)
            + amount.to_bytes(8, "little")
            + bytes(4 + 32)  # delegate: none
            + bytes([1])  # initialized
            + ((1).to_bytes(4, "little") + rent.to_bytes(8, "little") if native else bytes(12))
            + bytes(8)  # delegated amount
            + bytes(4 + 32)  # close authority: none
        )
        lamports = rent + (amount if native else 0)
        self.svm.set_account(address, Account(lamports=lamports, data=data, owner=P.TOKEN, executable=False))

    def add_pool(self, mint: Pubkey, *, decimals: int, sol_reserve: int, token_reserve: int) -> Pool:
        self._set_mint(mint, decimals, self.pool_authority.pubkey())
        pool = Pool(mint, Pubkey.new_unique(), Pubkey.new_unique(), sol_reserve, token_reserve, self.fee_bps)
        auth = self.pool_authority.pubkey()
        self.set_token_account(pool.sol_vault, P.WSOL_MINT, auth, sol_reserve)
        self.set_token_account(pool.token_vault, mint, auth, token_reserve)
        self.pools[bytes(mint)] = pool
        return pool

    def balance(self, account: Pubkey) -> int:
        return self.svm.get_balance(account) or 0

    def token_balance(self, account: Pubkey) -> int:
        acct = self.svm.get_account(account)
        if acct is None or len(acct.data) < 72:
            return 0
        return int.from_bytes(bytes(acct.data)[64:72], "little")

    def latest_blockhash(self) -> Hash:
        return self.svm.latest_blockhash()

    def last_valid_height(self, blockhash: Hash) -> int:
        return self.blockhashes.get(blockhash, self.slot - 1)

    def blockhash_valid(self, blockhash: Hash) -> bool:
        return self.blockhashes.get(blockhash, -1) >= self.slot

    def advance_slot(self, n: int = 1) -> None:
        """The clock moves ``n`` slots; a new blockhash is issued; expired ones are forgotten."""
        self.slot += n
        self.svm.warp_to_slot(self.slot)
        self.svm.expire_blockhash()
        self.blockhashes[self.svm.latest_blockhash()] = self.slot + BLOCKHASH_VALID_SLOTS
        self.blockhashes = {h: v for h, v in self.blockhashes.items() if v >= self.slot}

    def forget_blockhash(self, blockhash: Hash) -> None:
        """Expire one blockhash now (a fault: the transaction waited too long)."""
        self.blockhashes.pop(blockhash, None)
        if blockhash == self.svm.latest_blockhash():
            self.advance_slot()
            self.blockhashes.pop(blockhash, None)

    def decimals(self, mint: Pubkey) -> int:
        acct = self.svm.get_account(mint)
        return bytes(acct.data)[44] if acct is not None and len(acct.data) >= MINT_LEN else 0

    def token_state(self, account: Pubkey) -> tuple[Pubkey, Pubkey, int] | None:
        """(mint, owner, amount) of an SPL token account, None for anything else."""
        acct = self.svm.get_account(account)
        if acct is None or acct.owner != P.TOKEN or len(acct.data) != TOKEN_ACCOUNT_LEN:
            return None
        data = bytes(acct.data)
        return (
            Pubkey.from_bytes(data[:32]),
            Pubkey.from_bytes(data[32:64]),
            int.from_bytes(data[64:72], "little"),
        )

    def set_price(self, mint: Pubkey, lamports_per_unit: float) -> None:
        """Arbitrage the pool to a new price (lamports per token base unit), keeping x*y."""
        pool = self.pools[bytes(mint)]
        k = pool.sol_reserve * pool.token_reserve
        sol = max(int((k * lamports_per_unit) ** 0.5), 1)
        tokens = max(k // sol, 1)
        self.set_reserves(pool, sol, tokens)

    def set_reserves(self, pool: Pool, sol: int, tokens: int) -> None:
        auth = self.pool_authority.pubkey()
        pool.sol_reserve, pool.token_reserve = sol, tokens
        self.set_token_account(pool.sol_vault, P.WSOL_MINT, auth, sol)
        self.set_token_account(pool.token_vault, pool.mint, auth, tokens)

    def snapshot(
        self, keys: list[Pubkey]
    ) -> tuple[dict[Pubkey, Account | None], dict[bytes, tuple[int, int]]]:
        accounts = {k: self.svm.get_account(k) for k in keys}
        for pool in self.pools.values():
            accounts[pool.sol_vault] = self.svm.get_account(pool.sol_vault)
            accounts[pool.token_vault] = self.svm.get_account(pool.token_vault)
        return accounts, {m: (p.sol_reserve, p.token_reserve) for m, p in self.pools.items()}

    def restore(
        self, snap: tuple[dict[Pubkey, Account | None], dict[bytes, tuple[int, int]]], signatures: list[str]
    ) -> None:
        accounts, reserves = snap
        for key, acct in accounts.items():
            self.svm.set_account(key, acct or Account(lamports=0, data=b"", owner=P.SYSTEM, executable=False))
        for mint, (sol, tokens) in reserves.items():
            self.pools[mint].sol_reserve, self.pools[mint].token_reserve = sol, tokens
        for sig in signatures:
            self.processed.pop(sig, None)

    def _balances(self, keys: list[Pubkey]) -> tuple[list[int], list[TokenBalance]]:
        lamports, tokens = [], []
        for i, key in enumerate(keys):
            lamports.append(self.balance(key))
            st = self.token_state(key)
            if st is not None:
                tokens.append(TokenBalance(i, str(st[0]), str(st[1]), st[2], self.decimals(st[0])))
        return lamports, tokens

    def quote(self, mint: Pubkey, amount_in: int, *, buy: bool) -> int:
        return self.pools[bytes(mint)].out_for(amount_in, buy=buy)

    # -- execution ----------------------------------------------------------------------------
    def _rewrite(
        self, msg: Message | MessageV0
    ) -> tuple[list[Instruction], list[tuple[Pool, int, int, bool]], str, int | None, int | None]:
        """The transaction with each route replaced by its two transfers; (instructions, trades,
        error, index of the failing instruction, its custom error code)."""
        keys = list(msg.account_keys)
        payer = keys[0]
        ixs: list[Instruction] = []
        trades: list[tuple[Pool, int, int, bool]] = []
        for n, ci in enumerate(msg.instructions):
            program = keys[ci.program_id_index]
            accts = bytes(ci.accounts)
            metas = [AccountMeta(keys[i], msg.is_signer(i), _writable(msg, i)) for i in accts]
            if program != P.JUPITER_V6:
                ixs.append(Instruction(program, bytes(ci.data), metas))
                continue
            try:
                swap = decode_jupiter(bytes(ci.data), accts, [bytes(k) for k in keys], bytes(payer))
            except EffectError as exc:
                return ixs, trades, f"jupiter instruction failed: {exc}", n, None
            buy = swap.in_mint == bytes(P.WSOL_MINT) or swap.out_mint not in (None, bytes(P.WSOL_MINT))
            mint = swap.out_mint if buy else swap.in_mint
            pool = self.pools.get(mint or b"")
            if pool is None:
                return ixs, trades, "jupiter: no route (no pool for the mint)", n, None
            amount_in = swap.in_max
            out = pool.out_for(amount_in, buy=buy)
            if swap.exact_out:
                return ixs, trades, "jupiter: exact-out routes are not simulated by the local chain", n, None
            if out < swap.out_min:
                err = f"custom program error: 0x1771 (SlippageToleranceExceeded: {out} < {swap.out_min})"
                return ixs, trades, err, n, 6001
            vault_in, vault_out = (
                (pool.sol_vault, pool.token_vault) if buy else (pool.token_vault, pool.sol_vault)
            )
            auth = self.pool_authority.pubkey()
            ixs.append(_transfer(Pubkey.from_bytes(swap.source), vault_in, payer, amount_in))
            ixs.append(_transfer(vault_out, Pubkey.from_bytes(swap.destination), auth, out))
            trades.append((pool, amount_in, out, buy))
        return ixs, trades, "", None, None

    def send(self, tx: VersionedTransaction) -> Landed:
        sig = str(tx.signatures[0])
        if sig in self.processed:
            return Landed(sig, False, "AlreadyProcessed")
        if not all(tx.verify_with_results()):
            return Landed(sig, False, "SignatureFailure")
        msg = tx.message
        if not self.blockhash_valid(msg.recent_blockhash):
            return Landed(sig, False, "BlockhashNotFound")  # never processed: no fee, not recorded
        keys = list(msg.account_keys)
        payer = keys[0]
        n_sigs = msg.header.num_required_signatures
        limit, cu_price = _compute_budget(msg, keys)
        fee = FEE_PER_SIGNATURE * n_sigs + _ceil_div(cu_price * limit, P.MICRO_LAMPORTS_PER_LAMPORT)
        pre, pre_tokens = self._balances(keys)
        ixs, trades, err, failed_ix, custom = self._rewrite(msg)
        before = self.balance(payer)
        charged, units, logs = 0, 0, list[str]()
        if not err:
            err, charged, units, logs = self._execute(payer, ixs, msg.recent_blockhash, tx.signatures[0])
        # Mainnet's fee, on failure too: LiteSVM charged 5,000 per signature of the REWRITTEN
        # transaction when it executed it, and no priority fee.
        self._set_lamports(payer, (self.balance(payer) + charged if not err else before) - fee)
        post, post_tokens = self._balances(keys)
        landed = Landed(
            sig, not err, err, fee, logs, self.slot, [str(k) for k in keys], pre, post, pre_tokens,
            post_tokens, failed_ix, custom, units + ROUTE_UNITS * len(trades), cu_price,
        )  # fmt: skip
        self.processed[sig] = landed
        if landed.ok:
            for pool, amount_in, out, buy in trades:
                if buy:
                    pool.sol_reserve += amount_in
                    pool.token_reserve -= out
                else:
                    pool.token_reserve += amount_in
                    pool.sol_reserve -= out
        return landed

    def simulate(
        self,
        tx: VersionedTransaction,
        addresses: list[Pubkey],
        *,
        sig_verify: bool = False,
        replace_blockhash: bool = False,
    ) -> Simulated:
        """simulateTransaction: the same rewritten execution, nothing committed; the payer's
        lamports after it carry mainnet's fee (as ``send`` charges it)."""
        if sig_verify and not all(tx.verify_with_results()):
            return Simulated("SignatureFailure", [], 0, [])
        msg = tx.message
        blockhash = self.latest_blockhash() if replace_blockhash else msg.recent_blockhash
        if not self.blockhash_valid(blockhash):
            return Simulated("BlockhashNotFound", [], 0, [])
        keys = list(msg.account_keys)
        payer = keys[0]
        limit, cu_price = _compute_budget(msg, keys)
        fee = FEE_PER_SIGNATURE * msg.header.num_required_signatures + _ceil_div(
            cu_price * limit, P.MICRO_LAMPORTS_PER_LAMPORT
        )
        ixs, trades, err, _ix, _custom = self._rewrite(msg)
        if err:
            return Simulated(err, [], 0, [])
        try:
            rewritten = MessageV0.try_compile(payer, ixs, [], blockhash)
        except Exception as exc:
            return Simulated(f"cannot execute: {exc}", [], 0, [])
        n = rewritten.header.num_required_signatures
        sigs = [Signature.default()] * n
        res = self.svm.simulate_transaction(VersionedTransaction.populate(rewritten, sigs))
        meta = res.meta()
        if isinstance(res, FailedTransactionMetadata):
            return Simulated(str(res.err()), list(meta.logs()), int(meta.compute_units_consumed()), [])
        post = dict(res.post_accounts())
        out: list[Account | None] = []
        for key in addresses:
            acct = post[key] if key in post else self.svm.get_account(key)
            if key == payer and acct is not None:
                acct = Account(
                    lamports=acct.lamports + FEE_PER_SIGNATURE * n - fee,
                    data=bytes(acct.data),
                    owner=acct.owner,
                    executable=acct.executable,
                )
            out.append(acct)
        units = int(meta.compute_units_consumed()) + ROUTE_UNITS * len(trades)
        return Simulated("", list(meta.logs()), units, out)

    def _execute(
        self, payer: Pubkey, ixs: list[Instruction], blockhash: Hash, sig: Signature
    ) -> tuple[str, int, int, list[str]]:
        """Run the rewritten transaction; (error or "", lamports LiteSVM charged as its fee,
        units consumed, logs)."""
        try:
            rewritten = MessageV0.try_compile(payer, ixs, [], blockhash)
        except Exception as exc:  # an instruction the compiler cannot place
            return f"cannot execute: {exc}", 0, 0, []
        n = rewritten.header.num_required_signatures
        sigs = [sig] + [Signature(hashlib.sha512(bytes(sig) + bytes([i])).digest()) for i in range(1, n)]
        result = self.svm.send_transaction(VersionedTransaction.populate(rewritten, sigs))
        if isinstance(result, TransactionMetadata):
            return "", FEE_PER_SIGNATURE * n, int(result.compute_units_consumed()), list(result.logs())
        meta = result.meta()
        return str(result.err()), 0, int(meta.compute_units_consumed()), list(meta.logs())

    def _set_lamports(self, account: Pubkey, lamports: int) -> None:
        acct = self.svm.get_account(account)
        if acct is not None:
            self.svm.set_account(
                account,
                Account(
                    lamports=lamports, data=bytes(acct.data), owner=acct.owner, executable=acct.executable
                ),
            )


def _writable(msg: Message | MessageV0, i: int) -> bool:
    if isinstance(msg, MessageV0):
        return bool(msg.is_maybe_writable(i))
    h = msg.header
    n_keys, n_sig = len(msg.account_keys), h.num_required_signatures
    if i < n_sig:
        return i < n_sig - h.num_readonly_signed_accounts
    return i < n_keys - h.num_readonly_unsigned_accounts


def _transfer(src: Pubkey, dst: Pubkey, authority: Pubkey, amount: int) -> Instruction:
    return Instruction(
        P.TOKEN,
        bytes([TOKEN_TRANSFER]) + amount.to_bytes(8, "little"),
        [AccountMeta(src, False, True), AccountMeta(dst, False, True), AccountMeta(authority, True, False)],
    )


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _compute_budget(msg: Message | MessageV0, keys: list[Pubkey]) -> tuple[int, int]:
    """(compute-unit limit, price in micro-lamports) as the runtime applies them."""
    limit, price, others = None, 0, 0
    for ci in msg.instructions:
        if keys[ci.program_id_index] != P.COMPUTE_BUDGET:
            others += 1
            continue
        data = bytes(ci.data)
        if data[:1] == bytes([P.CB_SET_COMPUTE_UNIT_LIMIT]):
            limit = int.from_bytes(data[1:5], "little")
        elif data[:1] == bytes([P.CB_SET_COMPUTE_UNIT_PRICE]):
            price = int.from_bytes(data[1:9], "little")
    if limit is None:
        limit = min(P.DEFAULT_CU_PER_INSTRUCTION * others, P.MAX_CU_LIMIT)
    return limit, price
