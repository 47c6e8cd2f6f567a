"""Enhanced transactions -> OnChainEvent.

Per successful transaction (failed ones are skipped), for every non-quote token it moves:
- ``SWAP`` -> SWAP (wallet = fee payer) with the fee payer's ``direction`` and SOL leg: its token
  delta (transfers to it minus transfers from it) says BUY (> 0) or SELL (< 0), and
  ``amount_lamports`` is the SOL it paid or received for it (see :func:`sol_delta`); plus
  DEV_SELL when the configured creator wallet of that mint is the one sending the token;
- ``CREATE`` / ``TOKEN_MINT`` -> NEW_MINT (wallet = fee payer, the creator;
  ``wallet_balance_tokens`` = what the creator received in that transaction, its initial buy);
  ``CREATE_POOL`` -> NEW_POOL;
- ``ADD_LIQUIDITY`` -> LP_ADD, ``WITHDRAW_LIQUIDITY`` -> LP_REMOVE, with ``amount_lamports`` the
  SOL side the fee payer deposited or withdrew (its SOL delta, as for a trade);
- ``TRANSFER``: one sender giving the token to at least ``airdrop_min_recipients`` distinct
  wallets -> AIRDROP (``recipients``, total ``amount_tokens``); otherwise each transfer of at least
  ``large_transfer_tokens`` -> TRANSFER (when a threshold is set);
- any other type (``UNKNOWN``, a multi-send program's): only the airdrop shape above -> AIRDROP.
Event time is the block time (``timestamp``). Helius gives token and lamport amounts, not USD:
``amount_usd`` stays 0 here, and the connectors price the SOL amounts at the same moment's SOL/USD
(:func:`memesnipe.connectors.sol_usd.with_usd`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from memesnipe.connectors.helius.schemas import EnhancedTransaction, EnhancedTransactions, TokenTransfer
from memesnipe.connectors.runner import epoch_s, validate
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainEvent, OnChainKind, TradeDirection

PROVIDER = "helius"
QUOTE_MINTS = frozenset(
    {
        SOL_MINT,
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",  # USDC
        "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",  # USDT
    }
)
KIND_BY_TYPE = {
    "SWAP": OnChainKind.SWAP,
    "CREATE": OnChainKind.NEW_MINT,
    "TOKEN_MINT": OnChainKind.NEW_MINT,
    "CREATE_POOL": OnChainKind.NEW_POOL,
    "ADD_LIQUIDITY": OnChainKind.LP_ADD,
    "WITHDRAW_LIQUIDITY": OnChainKind.LP_REMOVE,
    "TRANSFER": OnChainKind.TRANSFER,
}


LAMPORTS_PER_SOL = 1_000_000_000
_LP_KINDS = (OnChainKind.LP_ADD, OnChainKind.LP_REMOVE)


def token_delta(tx: EnhancedTransaction, wallet: str, mint: str) -> float:
    """Tokens of ``mint`` the wallet received minus those it sent in this transaction."""
    d = 0.0
    for t in tx.tokenTransfers or []:
        if t.mint != mint:
            continue
        if t.toUserAccount == wallet:
            d += t.tokenAmount
        if t.fromUserAccount == wallet:
            d -= t.tokenAmount
    return d


def sol_delta(tx: EnhancedTransaction, wallet: str) -> int | None:
    """Lamports the wallet gained (> 0) or spent (< 0) in the trade, net of the network fee.

    From ``accountData`` when Helius sent it: the wallet's own ``nativeBalanceChange`` (+ the fee
    when it paid it) plus that of every token account it owns in the transaction (the rent of a
    token account it opened, its wrapped-SOL account), so neither rent nor wrapping counts as
    trading. Without accountData: its ``nativeTransfers`` plus its wrapped-SOL token transfers.
    None when neither says anything about the wallet."""
    if tx.accountData:
        owned = {
            a.account
            for a in tx.accountData
            if any(c.userAccount == wallet for c in a.tokenBalanceChanges or [])
        }
        seen = False
        d = 0
        for a in tx.accountData:
            if a.account == wallet or a.account in owned:
                seen = True
                d += a.nativeBalanceChange
        if seen:
            if tx.feePayer == wallet and tx.fee:
                d += tx.fee
            return d
    d = 0
    seen = False
    for n in tx.nativeTransfers or []:
        if n.toUserAccount == wallet:
            d += n.amount
            seen = True
        if n.fromUserAccount == wallet:
            d -= n.amount
            seen = True
    for t in tx.tokenTransfers or []:
        if t.mint == SOL_MINT and wallet in (t.toUserAccount, t.fromUserAccount):
            sign = 1 if t.toUserAccount == wallet else -1
            d += sign * round(t.tokenAmount * LAMPORTS_PER_SOL)
            seen = True
    return d if seen else None


def _trade(tx: EnhancedTransaction, wallet: str, mint: str) -> tuple[TradeDirection | None, float, int]:
    """(direction, |token delta|, lamports paid or received) of ``wallet`` in ``mint``."""
    tokens = token_delta(tx, wallet, mint)
    if tokens == 0.0:
        return None, 0.0, 0
    side = TradeDirection.BUY if tokens > 0 else TradeDirection.SELL
    sol = sol_delta(tx, wallet)
    lamports = 0
    if sol is not None and (sol < 0) == (side is TradeDirection.BUY) and sol != 0:
        lamports = abs(sol)  # a token-for-token swap (USDC leg) has no SOL leg: 0
    return side, abs(tokens), lamports


def _transfers(
    tx: EnhancedTransaction, ts: datetime, large_transfer_tokens: float, airdrop_min_recipients: int
) -> list[OnChainEvent]:
    by_sender: dict[tuple[str, str], list[TokenTransfer]] = {}
    for t in tx.tokenTransfers or []:
        if t.mint not in QUOTE_MINTS:
            by_sender.setdefault((t.mint, t.fromUserAccount or ""), []).append(t)
    out: list[OnChainEvent] = []
    for (mint, sender), group in by_sender.items():
        recipients = {t.toUserAccount for t in group if t.toUserAccount and t.toUserAccount != sender}
        if airdrop_min_recipients > 0 and len(recipients) >= airdrop_min_recipients:
            out.append(
                OnChainEvent(
                    mint=mint,
                    ts=ts,
                    source=PROVIDER,
                    kind=OnChainKind.AIRDROP,
                    signature=tx.signature,
                    wallet=sender,
                    amount_tokens=sum(t.tokenAmount for t in group),
                    recipients=len(recipients),
                )
            )
            continue
        for t in group:
            if large_transfer_tokens > 0 and t.tokenAmount >= large_transfer_tokens:
                out.append(
                    OnChainEvent(
                        mint=mint,
                        ts=ts,
                        source=PROVIDER,
                        kind=OnChainKind.TRANSFER,
                        signature=tx.signature,
                        wallet=sender,
                        amount_tokens=t.tokenAmount,
                        recipients=1,
                    )
                )
    return out


def _events(
    tx: EnhancedTransaction,
    creators: Mapping[str, str],
    large_transfer_tokens: float,
    airdrop_min_recipients: int,
) -> list[OnChainEvent]:
    kind = KIND_BY_TYPE.get(tx.type)
    if tx.transactionError:
        return []
    ts = epoch_s(tx.timestamp)
    if kind is None:  # a type Helius does not name (an airdrop through a multi-send program)
        return _transfers(tx, ts, 0.0, airdrop_min_recipients)  # its airdrop shape only
    if kind is OnChainKind.TRANSFER:
        return _transfers(tx, ts, large_transfer_tokens, airdrop_min_recipients)
    out: list[OnChainEvent] = []
    amounts: dict[str, float] = {}
    for t in tx.tokenTransfers or []:
        if t.mint in QUOTE_MINTS:
            continue
        amounts[t.mint] = amounts.get(t.mint, 0.0) + t.tokenAmount
        creator = creators.get(t.mint)
        if kind is OnChainKind.SWAP and creator and t.fromUserAccount == creator:
            sol = sol_delta(tx, creator) if creator == tx.feePayer else None
            out.append(
                OnChainEvent(
                    mint=t.mint,
                    ts=ts,
                    source=PROVIDER,
                    kind=OnChainKind.DEV_SELL,
                    signature=tx.signature,
                    wallet=creator,
                    amount_tokens=t.tokenAmount,
                    direction=TradeDirection.SELL,
                    amount_lamports=sol if sol is not None and sol > 0 else 0,
                )
            )
    for mint, amount in amounts.items():
        direction, lamports, balance = None, 0, None
        if kind is OnChainKind.SWAP:
            direction, traded, lamports = _trade(tx, tx.feePayer, mint)
            if direction is not None:
                amount = traded
        elif kind is OnChainKind.NEW_MINT:
            balance = max(0.0, token_delta(tx, tx.feePayer, mint))
        elif kind in _LP_KINDS:
            sol = sol_delta(tx, tx.feePayer)
            if sol is not None:  # deposited: SOL out of the wallet; withdrawn: SOL in
                lamports = max(0, -sol if kind is OnChainKind.LP_ADD else sol)
        out.append(
            OnChainEvent(
                mint=mint,
                ts=ts,
                source=PROVIDER,
                kind=kind,
                signature=tx.signature,
                wallet=tx.feePayer,
                amount_tokens=amount,
                direction=direction,
                amount_lamports=lamports,
                wallet_balance_tokens=balance,
            )
        )
    return out


def parse_enhanced(
    raw: Any,
    *,
    creators: Mapping[str, str] | None = None,
    large_transfer_tokens: float = 0.0,
    airdrop_min_recipients: int = 0,
) -> list[OnChainEvent]:
    """A list of enhanced transactions (an API page or one webhook delivery) -> events, oldest first."""
    txs = validate(EnhancedTransactions, raw, PROVIDER).root
    out: list[OnChainEvent] = []
    for tx in sorted(txs, key=lambda t: (t.slot, t.timestamp)):
        out.extend(_events(tx, creators or {}, large_transfer_tokens, airdrop_min_recipients))
    return out
