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
from solders.transaction_metadata import TransactionMetadata

from memesnipe.signer import programs as P
from memesnipe.signer.effects import EffectError
from memesnipe.signer.jupiter import decode_jupiter

FEE_PER_SIGNATURE = 5_000
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


@dataclass
class Landed:
    """The outcome of one sent transaction, as getTransaction / getSignatureStatuses would say."""

    signature: str
    ok: bool
    err: str = ""
    fee: int = 0
    logs: list[str] = field(default_factory=list)


class LocalChain:
    def __init__(self, *, fee_bps: int = 25) -> None:
        self.svm = LiteSVM().with_sigverify(False)
        self.pool_authority = Keypair()
        self.pools: dict[bytes, Pool] = {}
        self.fee_bps = fee_bps
        self.processed: dict[str, Landed] = {}
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

    def quote(self, mint: Pubkey, amount_in: int, *, buy: bool) -> int:
        return self.pools[bytes(mint)].out_for(amount_in, buy=buy)

    # -- execution ----------------------------------------------------------------------------
    def send(self, tx: VersionedTransaction) -> Landed:
        sig = str(tx.signatures[0])
        if sig in self.processed:
            return Landed(sig, False, "AlreadyProcessed")
        if not all(tx.verify_with_results()):
            return Landed(sig, False, "SignatureFailure")
        msg = tx.message
        keys = list(msg.account_keys)
        payer = keys[0]
        n_sigs = msg.header.num_required_signatures
        fee = FEE_PER_SIGNATURE * n_sigs + _priority_fee(msg, keys)
        ixs: list[Instruction] = []
        trades: list[tuple[Pool, int, int, bool]] = []
        err = ""
        for ci in msg.instructions:
            program = keys[ci.program_id_index]
            accts = bytes(ci.accounts)
            metas = [AccountMeta(keys[i], msg.is_signer(i), _writable(msg, i)) for i in accts]
            if program != P.JUPITER_V6:
                ixs.append(Instruction(program, bytes(ci.data), metas))
                continue
            try:
                swap = decode_jupiter(bytes(ci.data), accts, [bytes(k) for k in keys], bytes(payer))
            except EffectError as exc:
                err = f"jupiter instruction failed: {exc}"
                break
            buy = swap.in_mint == bytes(P.WSOL_MINT) or swap.out_mint not in (None, bytes(P.WSOL_MINT))
            mint = swap.out_mint if buy else swap.in_mint
            pool = self.pools.get(mint or b"")
            if pool is None:
                err = "jupiter: no route (no pool for the mint)"
                break
            amount_in = swap.in_max
            out = pool.out_for(amount_in, buy=buy)
            if swap.exact_out:
                err = "jupiter: exact-out routes are not simulated by the local chain"
                break
            if out < swap.out_min:
                err = f"custom program error: 0x1771 (SlippageToleranceExceeded: {out} < {swap.out_min})"
                break
            vault_in, vault_out = (
                (pool.sol_vault, pool.token_vault) if buy else (pool.token_vault, pool.sol_vault)
            )
            auth = self.pool_authority.pubkey()
            ixs.append(_transfer(Pubkey.from_bytes(swap.source), vault_in, payer, amount_in))
            ixs.append(_transfer(vault_out, Pubkey.from_bytes(swap.destination), auth, out))
            trades.append((pool, amount_in, out, buy))
        before = self.balance(payer)
        charged = 0
        if not err:
            err, charged = self._execute(payer, ixs, msg.recent_blockhash, tx.signatures[0])
        if err == "BlockhashNotFound":
            return Landed(sig, False, err)  # never processed: no fee, not recorded
        # Mainnet's fee, on failure too: LiteSVM charged 5,000 per signature of the REWRITTEN
        # transaction when it executed it, and no priority fee.
        self._set_lamports(payer, (self.balance(payer) + charged if not err else before) - fee)
        landed = Landed(sig, not err, err, fee)
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

    def _execute(
        self, payer: Pubkey, ixs: list[Instruction], blockhash: Hash, sig: Signature
    ) -> tuple[str, int]:
        """Run the rewritten transaction; (error or "", lamports LiteSVM charged as its fee)."""
        try:
            rewritten = MessageV0.try_compile(payer, ixs, [], blockhash)
        except Exception as exc:  # an instruction the compiler cannot place
            return f"cannot execute: {exc}", 0
        n = rewritten.header.num_required_signatures
        sigs = [sig] + [Signature(hashlib.sha512(bytes(sig) + bytes([i])).digest()) for i in range(1, n)]
        result = self.svm.send_transaction(VersionedTransaction.populate(rewritten, sigs))
        if isinstance(result, TransactionMetadata):
            return "", FEE_PER_SIGNATURE * n
        text = str(result.err())
        return ("BlockhashNotFound" if "BlockhashNotFound" in text else text), 0

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


def _priority_fee(msg: Message | MessageV0, keys: list[Pubkey]) -> int:
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
    return -(-price * limit // P.MICRO_LAMPORTS_PER_LAMPORT)
