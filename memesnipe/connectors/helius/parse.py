"""Enhanced transactions -> OnChainEvent.

Per successful transaction (failed ones are skipped), for every non-quote token it moves:
- ``SWAP`` -> SWAP (wallet = fee payer); plus DEV_SELL when the configured creator wallet of
  that mint is the one sending the token;
- ``CREATE`` / ``TOKEN_MINT`` -> NEW_MINT; ``CREATE_POOL`` -> NEW_POOL;
- ``ADD_LIQUIDITY`` -> LP_ADD, ``WITHDRAW_LIQUIDITY`` -> LP_REMOVE;
- ``TRANSFER`` of at least ``large_transfer_tokens`` -> TRANSFER (when a threshold is set).
Event time is the block time (``timestamp``). Helius gives token amounts, not USD, so
``amount_usd`` stays 0 and ``amount_tokens`` carries the size. Other types yield nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from memesnipe.connectors.helius.schemas import EnhancedTransaction, EnhancedTransactions
from memesnipe.connectors.runner import epoch_s, validate
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainEvent, OnChainKind

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


def _events(
    tx: EnhancedTransaction, creators: Mapping[str, str], large_transfer_tokens: float
) -> list[OnChainEvent]:
    kind = KIND_BY_TYPE.get(tx.type)
    if kind is None or tx.transactionError:
        return []
    ts = epoch_s(tx.timestamp)
    out: list[OnChainEvent] = []
    amounts: dict[str, float] = {}
    for t in tx.tokenTransfers or []:
        if t.mint in QUOTE_MINTS:
            continue
        if kind is OnChainKind.TRANSFER:
            if large_transfer_tokens > 0 and t.tokenAmount >= large_transfer_tokens:
                out.append(
                    OnChainEvent(
                        mint=t.mint,
                        ts=ts,
                        source=PROVIDER,
                        kind=kind,
                        signature=tx.signature,
                        wallet=t.fromUserAccount or "",
                        amount_tokens=t.tokenAmount,
                        recipients=1,
                    )
                )
            continue
        amounts[t.mint] = amounts.get(t.mint, 0.0) + t.tokenAmount
        creator = creators.get(t.mint)
        if kind is OnChainKind.SWAP and creator and t.fromUserAccount == creator:
            out.append(
                OnChainEvent(
                    mint=t.mint,
                    ts=ts,
                    source=PROVIDER,
                    kind=OnChainKind.DEV_SELL,
                    signature=tx.signature,
                    wallet=creator,
                    amount_tokens=t.tokenAmount,
                )
            )
    for mint, amount in amounts.items():
        out.append(
            OnChainEvent(
                mint=mint,
                ts=ts,
                source=PROVIDER,
                kind=kind,
                signature=tx.signature,
                wallet=tx.feePayer,
                amount_tokens=amount,
            )
        )
    return out


def parse_enhanced(
    raw: Any, *, creators: Mapping[str, str] | None = None, large_transfer_tokens: float = 0.0
) -> list[OnChainEvent]:
    """A list of enhanced transactions (an API page or one webhook delivery) -> events, oldest first."""
    txs = validate(EnhancedTransactions, raw, PROVIDER).root
    out: list[OnChainEvent] = []
    for tx in sorted(txs, key=lambda t: (t.slot, t.timestamp)):
        out.extend(_events(tx, creators or {}, large_transfer_tokens))
    return out
