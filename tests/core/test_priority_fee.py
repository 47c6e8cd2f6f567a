"""The CU price from recent prioritization fees: nearest-rank percentile within floor and cap."""

from __future__ import annotations

import pytest

from memesnipe.core.priority_fee import cu_price, percentile


def test_percentile_is_nearest_rank() -> None:
    docs = [0, 1000, 500, 0, 1234]  # the documented getRecentPrioritizationFees sample
    assert percentile(docs, 50) == 500
    assert percentile(docs, 75) == 1000
    assert percentile(docs, 100) == 1234
    assert percentile(docs, 0) == 0
    assert percentile([], 75) == 0


def test_floor_and_cap_bound_the_price() -> None:
    kw = dict(cu_limit=200_000, pct=75, floor_lamports=1_000, cap_lamports=100_000)
    assert cu_price([1, 2, 3], **kw) == 1_000 * 1_000_000 // 200_000  # below the floor
    assert cu_price([400_000] * 4, **kw) == 400_000  # inside
    assert cu_price([10**12], **kw) == 100_000 * 1_000_000 // 200_000  # a spike is capped
    assert cu_price(None, **kw) == 5_000  # no sample: the floor
    with pytest.raises(ValueError):
        cu_price([1], cu_limit=0, pct=75, floor_lamports=0, cap_lamports=0)
