"""A pool's liquidity from its reserves and its LP burned share from its own state (pure).

Inputs are the pool's state (:mod:`state`, decoded from the pool account) and a getMultipleAccounts
``jsonParsed`` reading of [vault a, vault b, LP mint] (https://solana.com/docs/rpc/http/getmultipleaccounts;
token accounts as ``parsed.info.tokenAmount``, the mint as ``parsed.info.supply``/``decimals``).

- Reserves: the program's own reserve count when it keeps one (Meteora DAMM v2), else a vault's
  balance minus the fees the program holds in it for someone else.
- ``pool_liquidity_usd``: a constant-product pool holds equal value on both sides, so 2 x the
  quote side's reserve; a concentrated pool (its price in its state) is its quote reserve plus its
  token reserve at the pool's price. SOL is priced at SOL/USD of the same moment (None when
  unknown: no fact rather than a wrong one), USDC/USDT at 1.
- ``lp_locked_pct`` = the share of the LP the program issued that no holder can redeem: issued
  (``lp_supply`` in the pool's state) minus what the LP mint still has in circulation (burned LP
  leaves the mint's supply, and Raydium's never-minted initial lock is in the issued count), plus
  the LP in the pool's known locker vaults (Raydium's Burn & Earn for CPMM), in %. Other lockers'
  LP counts as circulating (RugCheck's ``lpLockedPct`` knows more lockers). A pool without an LP
  mint (DAMM v2: positions) reports the share of its liquidity permanently locked, from its state.

The result is one SAFETY fact message per pool reading, source ``<dex>:pool``, at the reading's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from memesnipe.connectors.pools.new_pool import QUOTE_MINTS, USDC_MINT, USDT_MINT
from memesnipe.connectors.pools.state import PoolState
from memesnipe.connectors.solana_rpc.schemas import AccountValue, MultipleAccountsResult, ParsedData
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainEvent, OnChainKind

USD_STABLES = frozenset({USDC_MINT, USDT_MINT})


class ReserveReadingError(ValueError):
    """The vault/LP-mint reading is not what the pool's state says it should be."""


@dataclass(frozen=True)
class TokenBalance:
    mint: str
    amount: int
    decimals: int


@dataclass(frozen=True)
class PoolReading:
    state: PoolState
    vault_a: TokenBalance | None
    vault_b: TokenBalance | None
    lp_supply_now: int | None  # the LP mint's circulating supply
    lp_in_lockers: int = 0  # of which held in the pool's known locker vaults


def _parsed(acct: AccountValue | None) -> ParsedData | None:
    return acct.data if acct is not None and isinstance(acct.data, ParsedData) else None


def _balance(acct: AccountValue | None, vault: str, expect_mint: str) -> TokenBalance | None:
    p = _parsed(acct)
    if p is None or p.parsed.type != "account":
        return None
    info = p.parsed.info
    mint = str(info.get("mint", ""))
    if mint != expect_mint:
        raise ReserveReadingError(f"vault {vault} holds {mint or 'no mint'}, the pool says {expect_mint}")
    ta = info.get("tokenAmount") or {}
    try:
        return TokenBalance(mint, int(ta["amount"]), int(ta["decimals"]))
    except (KeyError, TypeError, ValueError):
        raise ReserveReadingError(f"vault {vault}: tokenAmount {ta!r}") from None


def reading(state: PoolState, accounts: MultipleAccountsResult) -> PoolReading:
    """``accounts`` = getMultipleAccounts(jsonParsed) of [vault_a, vault_b, lp_mint, *lp_lockers]
    (:func:`accounts_to_read`); the LP mint and lockers are optional."""
    vals = list(accounts.value)
    if len(vals) < 2:
        raise ReserveReadingError(f"expected the two vaults (and the LP mint), got {len(vals)} accounts")
    lp_now = None
    if state.lp_mint and len(vals) >= 3:
        p = _parsed(vals[2])
        if p is not None and p.parsed.type == "mint":
            try:
                lp_now = int(p.parsed.info["supply"])
            except (KeyError, TypeError, ValueError):
                raise ReserveReadingError(f"LP mint {state.lp_mint}: no supply") from None
    locked = 0
    for addr, acct in zip(state.lp_lockers, vals[3:], strict=False):
        bal = _balance(acct, addr, state.lp_mint)  # no account: nothing locked there
        locked += bal.amount if bal is not None else 0
    return PoolReading(
        state,
        _balance(vals[0], state.vault_a, state.mint_a),
        _balance(vals[1], state.vault_b, state.mint_b),
        lp_now,
        locked,
    )


def accounts_to_read(state: PoolState) -> list[str]:
    """What :func:`reading` expects, in order."""
    return [state.vault_a, state.vault_b, *([state.lp_mint, *state.lp_lockers] if state.lp_mint else [])]


def lp_burned_pct(issued: int | None, circulating: int | None, locked: int = 0) -> float | None:
    """Share of the issued LP that is burned (out of circulation) or in a locker, in %."""
    if issued is None or circulating is None or issued <= 0:
        return None
    free = max(0, circulating - locked)
    return round(min(100.0, max(0.0, 100.0 * (1.0 - free / issued))), 4)


def quote_usd(mint: str, sol_usd: float | None) -> float | None:
    if mint == SOL_MINT:
        return sol_usd
    return 1.0 if mint in USD_STABLES else None


def _reserve(own: int | None, bal: TokenBalance | None, fees: int) -> int | None:
    if own is not None:
        return own
    return None if bal is None else max(0, bal.amount - fees)


def _quote_value(s: PoolState, r: PoolReading, a_quote: bool) -> float | None:
    """The pool's value in raw units of its quote side; None when a reading is missing."""
    ra, rb = _reserve(s.reserve_a, r.vault_a, s.fees_a), _reserve(s.reserve_b, r.vault_b, s.fees_b)
    quote_raw = ra if a_quote else rb
    if quote_raw is None:
        return None
    if s.price_b_per_a is None:
        return 2.0 * quote_raw  # constant product: equal value on both sides
    token_raw = rb if a_quote else ra
    if token_raw is None or not s.price_b_per_a > 0:
        return None
    return quote_raw + (token_raw / s.price_b_per_a if a_quote else token_raw * s.price_b_per_a)


def pool_event(r: PoolReading, ts: datetime, sol_usd: float | None) -> OnChainEvent | None:
    """The SAFETY fact message of one reading; None when the pool names no single token."""
    s = r.state
    a_quote, b_quote = s.mint_a in QUOTE_MINTS, s.mint_b in QUOTE_MINTS
    if a_quote == b_quote:
        return None
    token = s.mint_b if a_quote else s.mint_a
    quote_bal = r.vault_a if a_quote else r.vault_b
    liq = None
    value = _quote_value(s, r, a_quote)
    if quote_bal is not None and value is not None:
        px = quote_usd(quote_bal.mint, sol_usd)
        if px is not None:
            liq = round(value / 10**quote_bal.decimals * px, 2)
    locked = s.locked_liquidity_pct
    if locked is None:
        locked = lp_burned_pct(s.lp_supply, r.lp_supply_now, r.lp_in_lockers)
    return OnChainEvent(
        mint=token,
        ts=ts,
        source=f"{s.dex}:pool",
        kind=OnChainKind.SAFETY,
        pool_liquidity_usd=liq,
        lp_locked_pct=locked,
    )
