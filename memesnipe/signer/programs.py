"""Program ids and instruction tags the policy inspects (Solana mainnet)."""

from __future__ import annotations

from solders.pubkey import Pubkey

COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")
TOKEN = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ASSOCIATED_TOKEN = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
JUPITER_V6 = Pubkey.from_string("JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4")
DRIFT_V2 = Pubkey.from_string("dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH")
MEMO_V2 = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
WSOL_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")

# ComputeBudgetInstruction tags (first data byte) and their exact data lengths.
CB_REQUEST_HEAP_FRAME = 1
CB_SET_COMPUTE_UNIT_LIMIT = 2
CB_SET_COMPUTE_UNIT_PRICE = 3
CB_SET_LOADED_ACCOUNTS_DATA_SIZE_LIMIT = 4
CB_DATA_LEN = {
    CB_REQUEST_HEAP_FRAME: 5,
    CB_SET_COMPUTE_UNIT_LIMIT: 5,
    CB_SET_COMPUTE_UNIT_PRICE: 9,
    CB_SET_LOADED_ACCOUNTS_DATA_SIZE_LIMIT: 5,
}
DEFAULT_CU_PER_INSTRUCTION = 200_000
MAX_CU_LIMIT = 1_400_000
MICRO_LAMPORTS_PER_LAMPORT = 1_000_000

# SystemInstruction tag (u32 LE) of Transfer.
SYSTEM_TRANSFER = 2

# SPL Token instruction tags the policy allows at top level (all others, e.g. Transfer,
# Approve, SetAuthority, Burn, are refused: they could move or hand over our tokens).
TOKEN_CLOSE_ACCOUNT = 9
TOKEN_SYNC_NATIVE = 17
TOKEN_INITIALIZE_ACCOUNT3 = 18

# Associated Token Account instructions: Create (empty data or 0) and CreateIdempotent (1).
ATA_CREATE = 0
ATA_CREATE_IDEMPOTENT = 1

MAX_TRANSACTION_BYTES = 1232
"""Solana's packet data limit: a larger transaction cannot be sent."""


def wsol_ata(owner: Pubkey) -> Pubkey:
    """The owner's wrapped-SOL associated token account (classic Token program)."""
    return Pubkey.find_program_address([bytes(owner), bytes(TOKEN), bytes(WSOL_MINT)], ASSOCIATED_TOKEN)[0]
