"""Top-10 holder share of WALLETS: pool vaults, bonding curves and other program accounts are
not holders.

``getTokenLargestAccounts`` names token accounts, not holders. Each one's owner comes from its
jsonParsed token account (``parsed.info.owner``, via ``getMultipleAccounts``); an owner is a
wallet only when it

* is on the ed25519 curve (a program-derived address is off the curve by construction: pool
  authorities, PumpSwap pools, pump.fun bonding curves, lockers),
* is not a known program account (``KNOWN_PROGRAM_ACCOUNTS``), and
* as an account itself (a second ``getMultipleAccounts`` over the owners), is absent or owned by
  the System program (a keypair-created data account of some program is not a wallet).

The share is the ten largest wallets (their accounts summed) over supply, from base-unit integers. When
fewer than ten wallet accounts remain among a full page of largest accounts, each missing one is
counted at the page's smallest amount (an upper bound: the true ones are no larger).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solders.pubkey import Pubkey

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.pump_fun.events import PUMP_AMM_PROGRAM, PUMP_PROGRAM
from memesnipe.connectors.solana_rpc.schemas import (
    LargestAccountsResult,
    MultipleAccountsResult,
    ParsedData,
    TokenSupplyResult,
)

PROVIDER = "solana_rpc"
SYSTEM_PROGRAM = "11111111111111111111111111111111"
LARGEST_PAGE = 20  # getTokenLargestAccounts returns up to 20 accounts
KNOWN_PROGRAM_ACCOUNTS = {
    PUMP_PROGRAM: "pump.fun program",
    PUMP_AMM_PROGRAM: "PumpSwap program",
    "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1": "Raydium AMM v4 authority",
    "GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL": "Raydium CPMM authority",
    "1nc1nerator11111111111111111111111111111111": "incinerator (burn)",
}


@dataclass(frozen=True)
class Holder:
    token_account: str
    owner: str
    amount: int
    wallet: bool
    why: str  # why it is not a wallet ("" for a wallet)


def token_account_owners(largest: LargestAccountsResult, accounts: MultipleAccountsResult) -> list[str]:
    """The owner of each largest token account (same order), from the jsonParsed accounts."""
    if len(accounts.value) != len(largest.value):
        raise ParseError(PROVIDER, f"{len(accounts.value)} accounts for {len(largest.value)} token accounts")
    owners = []
    for bal, acct in zip(largest.value, accounts.value, strict=True):
        if acct is None or not isinstance(acct.data, ParsedData) or acct.data.parsed.type != "account":
            raise ParseError(PROVIDER, f"{bal.address}: not a jsonParsed token account")
        owner = acct.data.parsed.info.get("owner")
        if not isinstance(owner, str) or not owner:
            raise ParseError(PROVIDER, f"{bal.address}: token account without an owner")
        owners.append(owner)
    return owners


def classify(owner: str, owner_program: str | None) -> str:
    """Why ``owner`` is not a wallet, or ``""`` when it is one."""
    if owner in KNOWN_PROGRAM_ACCOUNTS:
        return KNOWN_PROGRAM_ACCOUNTS[owner]
    try:
        on_curve = Pubkey.from_string(owner).is_on_curve()
    except ValueError:
        return "not a public key"
    if not on_curve:
        return "program-derived address"
    if owner_program is not None and owner_program != SYSTEM_PROGRAM:
        return f"account of program {owner_program}"
    return ""


def holders(
    largest: LargestAccountsResult,
    owners: Sequence[str],
    owner_accounts: MultipleAccountsResult | None = None,
) -> list[Holder]:
    """Each largest token account with its owner and whether that owner is a wallet.
    ``owner_accounts``: getMultipleAccounts over ``owners`` (same order), or None to skip the
    account check."""
    if owner_accounts is not None and len(owner_accounts.value) != len(owners):
        raise ParseError(PROVIDER, f"{len(owner_accounts.value)} owner accounts for {len(owners)} owners")
    out = []
    for i, (bal, owner) in enumerate(zip(largest.value, owners, strict=True)):
        acct = owner_accounts.value[i] if owner_accounts is not None else None
        why = classify(owner, acct.owner if acct is not None else None)
        out.append(Holder(bal.address, owner, bal.amount, why == "", why))
    return out


def top_wallet_pct(hs: Sequence[Holder], supply: TokenSupplyResult, n: int = 10) -> float | None:
    """The ``n`` largest wallet-owned accounts' share of supply, in percent (None: no supply)."""
    if supply.value.amount <= 0:
        return None
    by_owner: dict[str, int] = {}
    for h in hs:
        if h.wallet:  # a holder is a wallet: its token accounts count together
            by_owner[h.owner] = by_owner.get(h.owner, 0) + h.amount
    wallets = sorted(by_owner.values(), reverse=True)[:n]
    missing = n - len(wallets)
    if missing > 0 and len(hs) >= LARGEST_PAGE:
        wallets += [min(h.amount for h in hs)] * missing
    return 100.0 * sum(wallets) / supply.value.amount
