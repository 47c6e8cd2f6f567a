"""The pool programs discovery understands: how each shows a pool creation in its logs, how its
creating instruction decodes, and how its pool account decodes (for reserves and LP)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from memesnipe.connectors.meteora.pools import DAMM_V2_POOLS, DLMM_POOLS, damm_v2_state, dlmm_state
from memesnipe.connectors.pools.new_pool import Decoder
from memesnipe.connectors.pools.state import PoolState
from memesnipe.connectors.pump_fun.events import PUMP_AMM_PROGRAM
from memesnipe.connectors.pump_fun.pool import pumpswap_created_in_logs, pumpswap_new_pool, pumpswap_state
from memesnipe.connectors.raydium.pools import (
    AMM_V4_PROGRAM,
    CPMM_PROGRAM,
    amm_v4_init_logs,
    amm_v4_new_pool,
    amm_v4_state,
    cpmm_init_in_logs,
    cpmm_new_pool,
    cpmm_state,
)


@dataclass(frozen=True)
class PoolProgram:
    program: str
    created_in_logs: Callable[[Sequence[str]], bool]
    decode: Decoder
    hint: str  # text a creation's logs always hold: most notifications (swaps) are ruled out by it


_INIT = "Instruction: Initialize"


def _amm_v4_created(logs: Sequence[str]) -> bool:
    return bool(amm_v4_init_logs(logs))


CREATION: dict[str, PoolProgram] = {
    p.program: p
    for p in (
        # AMM v4 logs "initialize2: ..." before its InitLog (program/src/processor.rs)
        PoolProgram(AMM_V4_PROGRAM, _amm_v4_created, amm_v4_new_pool, "initialize2: "),
        PoolProgram(CPMM_PROGRAM, cpmm_init_in_logs, cpmm_new_pool, _INIT),
        PoolProgram(DLMM_POOLS.program, DLMM_POOLS.in_logs, DLMM_POOLS.new_pool, _INIT),
        PoolProgram(DAMM_V2_POOLS.program, DAMM_V2_POOLS.in_logs, DAMM_V2_POOLS.new_pool, _INIT),
        PoolProgram(PUMP_AMM_PROGRAM, pumpswap_created_in_logs, pumpswap_new_pool, "Instruction: CreatePool"),
    )
}
"""Program id -> its pool creation: new Raydium and Meteora pools, and PumpSwap pools opened
directly (pump.fun's migrations are also known from pump.fun's own migration event)."""

DECODERS: dict[str, Decoder] = {p: c.decode for p, c in CREATION.items()}

STATE: dict[str, Callable[[str, bytes], PoolState]] = {
    AMM_V4_PROGRAM: amm_v4_state,
    CPMM_PROGRAM: cpmm_state,
    PUMP_AMM_PROGRAM: pumpswap_state,
    DAMM_V2_POOLS.program: damm_v2_state,
    DLMM_POOLS.program: dlmm_state,
}
"""Owner program -> its pool-account decoder (the pools whose reserves and LP we read)."""


def creations_in_logs(logs: Sequence[str] | None) -> list[str]:
    """The pool programs that created a pool in a transaction, by its logs (fetch it to know which)."""
    if not logs:
        return []
    text = "\n".join(logs)
    return [p for p, c in CREATION.items() if c.hint in text and p in text and c.created_in_logs(logs)]
