"""The compute-unit price of a live transaction, from the fees that recently landed.

``getRecentPrioritizationFees`` (solana.com/docs/rpc/http/getrecentprioritizationfees) gives the
lowest prioritization fee (micro-lamports per compute unit) of each of the last ~150 blocks that
locked the given writable accounts. We pay the configured percentile of those samples (75: above
what most recent blocks needed for the same accounts), never less than the floor the budget sets
(``priority_fee_lamports`` spread over the limit) and never more than the cap
(``max_priority_fee_lamports`` over the limit), so a spike or a lying node cannot make one
transaction overpay.
"""

from __future__ import annotations

from collections.abc import Sequence

from memesnipe.core.percentile import nearest_rank

MICRO_LAMPORTS_PER_LAMPORT = 1_000_000


def percentile(samples: Sequence[int], pct: float) -> int:
    """Nearest-rank percentile, ``pct`` in percent (0 for no samples)."""
    return nearest_rank(samples, pct / 100) or 0


def cu_price(
    recent_fees: Sequence[int] | None,
    *,
    cu_limit: int,
    pct: float,
    floor_lamports: int,
    cap_lamports: int,
) -> int:
    """Micro-lamports per CU: the ``pct`` percentile of recent fees, within floor and cap (both
    lamports for the whole transaction at ``cu_limit``). No samples: the floor."""
    if cu_limit <= 0:
        raise ValueError("compute-unit limit must be positive")
    floor = floor_lamports * MICRO_LAMPORTS_PER_LAMPORT // cu_limit
    cap = cap_lamports * MICRO_LAMPORTS_PER_LAMPORT // cu_limit
    want = percentile(recent_fees or (), pct)
    return max(min(max(want, floor), cap), 0)
