"""The signer's policy: pure checks of a request and its transaction, one reason per refusal.

What a transaction may do (static program ids only):
- Compute Budget: set unit limit / unit price / heap frame / loaded-data limit, once each;
- System: Transfer only, from our wallet, only to a configured Jito tip account or to our own
  wrapped-SOL account (Jupiter's SOL wrap); every other system instruction is refused (this
  also refuses durable nonces, so a signed transaction expires with its blockhash);
- Token / Token-2022: SyncNative, InitializeAccount3 for our wallet, CloseAccount paying us;
  never Transfer / Approve / SetAuthority / Burn at top level;
- Associated Token Account: Create / CreateIdempotent for our wallet;
- Jupiter v6: route instructions paying only into our account for the order's mint (or our
  wSOL account), without platform fee; Drift v2: placing / cancelling orders only (venues.py);
- Memo v2: allowed.

Spend: the policy computes what the transaction moves (system transfers + priority fee) and
refuses when the router's declaration is lower; the caps apply to the larger of the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.message import Message, MessageV0
from solders.pubkey import Pubkey

from memesnipe.signer import programs as P
from memesnipe.signer.venues import VenueRefusal, check_drift, check_jupiter

_CB = bytes(P.COMPUTE_BUDGET)
_SYSTEM = bytes(P.SYSTEM)
_TOKENS = frozenset({bytes(P.TOKEN), bytes(P.TOKEN_2022)})
_ATA = bytes(P.ASSOCIATED_TOKEN)
_JUPITER = bytes(P.JUPITER_V6)
_DRIFT = bytes(P.DRIFT_V2)


class Refusal(Exception):
    """The signer refuses a request; ``reason`` is the text published on the result."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    wallet: Pubkey
    tip_accounts: frozenset[bytes]
    programs: frozenset[bytes]
    per_tx_cap_lamports: int
    daily_cap_lamports: int

    @property
    def wallet_bytes(self) -> bytes:
        return bytes(self.wallet)

    @classmethod
    def build(
        cls,
        wallet: Pubkey,
        *,
        tip_accounts: list[str] | tuple[str, ...],
        programs: list[str] | tuple[str, ...],
        per_tx_cap_lamports: int,
        daily_cap_lamports: int,
    ) -> PolicyConfig:
        return cls(
            wallet=wallet,
            tip_accounts=frozenset(bytes(Pubkey.from_string(s)) for s in tip_accounts),
            programs=frozenset(bytes(Pubkey.from_string(s)) for s in programs),
            per_tx_cap_lamports=per_tx_cap_lamports,
            daily_cap_lamports=daily_cap_lamports,
        )


@dataclass(frozen=True, slots=True)
class TxFacts:
    """What the policy learnt from the transaction itself."""

    signer_slot: int
    tip_lamports: int
    wrap_lamports: int
    priority_fee_lamports: int
    cu_limit: int
    cu_price_micro_lamports: int

    @property
    def moved_lamports(self) -> int:
        """Lamports the transaction visibly takes from our wallet (base signature fee aside)."""
        return self.tip_lamports + self.wrap_lamports + self.priority_fee_lamports


def _b58(key: bytes) -> str:
    return str(Pubkey.from_bytes(key))


def inspect_transaction(
    message: Message | MessageV0, cfg: PolicyConfig, wsol_ata: bytes, mint: str = ""
) -> TxFacts:
    """Check every instruction against the allowlist; return the transaction's spend facts.
    ``mint`` is the order's token (authenticated): a swap may only pay into our account for it."""
    keys = [bytes(k) for k in message.account_keys]
    wallet = cfg.wallet_bytes
    header = message.header
    n_signers = header.num_required_signatures
    if not keys or keys[0] != wallet:
        payer = _b58(keys[0]) if keys else "none"
        raise Refusal(f"fee payer {payer} is not our wallet")
    try:
        slot = keys[:n_signers].index(wallet)
    except ValueError:  # pragma: no cover - the fee payer is always a signer after sanitize
        raise Refusal("our wallet is not a required signer") from None

    cu_limit: int | None = None
    cu_price = 0
    seen_cb: set[int] = set()
    tips = wrap = non_cb = 0
    n_static = len(keys)
    for ix in message.instructions:
        pidx = ix.program_id_index
        if pidx >= n_static:
            raise Refusal("program id loaded from an address lookup table")
        program = keys[pidx]
        if program not in cfg.programs:
            raise Refusal(f"program {_b58(program)} not in allowlist")
        data = ix.data
        accts = ix.accounts
        if program == _CB:
            tag = data[0] if data else -1
            if len(data) != P.CB_DATA_LEN.get(tag, -1):
                raise Refusal(f"compute budget instruction {tag} not allowed")
            if tag in seen_cb:
                raise Refusal(f"duplicate compute budget instruction {tag}")
            seen_cb.add(tag)
            if tag == P.CB_SET_COMPUTE_UNIT_LIMIT:
                cu_limit = int.from_bytes(data[1:5], "little")
            elif tag == P.CB_SET_COMPUTE_UNIT_PRICE:
                cu_price = int.from_bytes(data[1:9], "little")
            continue
        non_cb += 1
        if program == _SYSTEM:
            if len(data) < 4 or int.from_bytes(data[:4], "little") != P.SYSTEM_TRANSFER:
                tag = int.from_bytes(data[:4], "little") if len(data) >= 4 else -1
                raise Refusal(f"system instruction {tag} not allowed (only transfers to tip accounts)")
            if len(data) != 12 or len(accts) != 2:
                raise Refusal("malformed system transfer")
            src, dst = accts[0], accts[1]
            if src >= n_static or keys[src] != wallet:
                raise Refusal("system transfer source is not our wallet")
            if dst >= n_static:
                raise Refusal("system transfer destination loaded from an address lookup table")
            lamports = int.from_bytes(data[4:12], "little")
            to = keys[dst]
            if to in cfg.tip_accounts:
                tips += lamports
            elif to == wsol_ata:
                wrap += lamports
            else:
                raise Refusal(f"system transfer to {_b58(to)}: not a Jito tip account")
        elif program in _TOKENS:
            _check_token(data, accts, keys, wallet)
        elif program == _ATA:
            _check_ata(data, accts, keys, wallet)
        elif program == _JUPITER:
            try:
                check_jupiter(data, accts, keys, wallet, mint)
            except VenueRefusal as exc:
                raise Refusal(str(exc)) from None
        elif program == _DRIFT:
            try:
                check_drift(data)
            except VenueRefusal as exc:
                raise Refusal(str(exc)) from None
        # Memo and any other allowlisted program: opaque, bounded by the caps and the HMAC.

    if cu_limit is None:
        cu_limit = min(P.DEFAULT_CU_PER_INSTRUCTION * non_cb, P.MAX_CU_LIMIT)
    priority = -(-cu_price * cu_limit // P.MICRO_LAMPORTS_PER_LAMPORT)  # ceil
    return TxFacts(slot, tips, wrap, priority, cu_limit, cu_price)


def _static(accts: bytes, i: int, keys: list[bytes]) -> bytes | None:
    if i >= len(accts) or accts[i] >= len(keys):
        return None
    return keys[accts[i]]


def _check_token(data: bytes, accts: bytes, keys: list[bytes], wallet: bytes) -> None:
    tag = data[0] if data else -1
    if tag == P.TOKEN_SYNC_NATIVE and len(data) == 1:
        return
    if tag == P.TOKEN_CLOSE_ACCOUNT and len(data) == 1:
        # accounts: [account, destination, owner]
        if _static(accts, 1, keys) != wallet or _static(accts, 2, keys) != wallet:
            raise Refusal("token close_account must pay and be owned by our wallet")
        return
    if tag == P.TOKEN_INITIALIZE_ACCOUNT3 and len(data) == 33:
        if data[1:33] != wallet:
            raise Refusal("token initialize_account3 for an owner that is not our wallet")
        return
    raise Refusal(f"token instruction {tag} not allowed")


def _check_ata(data: bytes, accts: bytes, keys: list[bytes], wallet: bytes) -> None:
    tag = data[0] if data else P.ATA_CREATE
    if len(data) > 1 or tag not in (P.ATA_CREATE, P.ATA_CREATE_IDEMPOTENT):
        raise Refusal(f"associated token account instruction {tag} not allowed")
    # accounts: [payer, ata, owner, mint, system, token program]
    if _static(accts, 0, keys) != wallet or _static(accts, 2, keys) != wallet:
        raise Refusal("associated token account must be paid for and owned by our wallet")


def check_spend(
    facts: TxFacts,
    *,
    declared_spend: int,
    declared_tip: int,
    exit_intent: bool,
    spent_today: int,
    cfg: PolicyConfig,
) -> int:
    """Check declarations and caps; return the spend to book against the day."""
    if facts.tip_lamports > declared_tip:
        raise Refusal(f"tip transfers of {facts.tip_lamports} exceed declared tip_lamports {declared_tip}")
    moved = facts.moved_lamports
    if declared_spend < moved:
        raise Refusal(
            f"declared spend_lamports {declared_spend} below the {moved} lamports the transaction moves"
        )
    if exit_intent and facts.wrap_lamports:
        raise Refusal("exit request wraps SOL (that is a buy)")
    spend = max(declared_spend, moved)
    if spend > cfg.per_tx_cap_lamports:
        raise Refusal(f"spend {spend} over the per-transaction cap {cfg.per_tx_cap_lamports}")
    # The daily cap bounds capital put to work: it never traps a position, so exits pass it
    # (they still count towards the day's ledger).
    if not exit_intent and spent_today + spend > cfg.daily_cap_lamports:
        raise Refusal(f"daily cap: {spent_today} spent today + {spend} is over {cfg.daily_cap_lamports}")
    return spend
