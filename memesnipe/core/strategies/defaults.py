"""Default strategy specs: one instance of every family, tuned to fire now and then on the
market simulator's stream (pumps, dumps, rugs, social bursts, bridge inflows, dev sells).

Parameters not listed use the family's documented defaults.
"""

from __future__ import annotations

from typing import Any

from memesnipe.core.strategies.base import validate_params
from memesnipe.streams.control import StrategySpec

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "momentum_5m": {},
    "mean_revert_1h": {"z_entry": 3.0},
    "social_buzz": {},
    "liquidity_migration": {"min_net_share": 0.5},
    "perp_basis_arb": {"entry_basis": 0.04, "confirmations": 3},
    "dev_wallet_drain": {},
    "airdrop_rotation": {"min_holder_growth": 0.08, "min_recipients": 500},
    "korean_time_burst": {},
    "bridge_inflow": {},
    "rug_pull_sniffer": {},
}


def default_instance_id(family: str) -> str:
    return f"{family}.default"


def default_specs() -> list[StrategySpec]:
    """One validated spec per built-in family (params with all defaults filled in)."""
    out = []
    for fam in sorted(DEFAULT_PARAMS):
        params = validate_params(fam, DEFAULT_PARAMS.get(fam, {})).model_dump(mode="json")
        out.append(StrategySpec(instance_id=default_instance_id(fam), family=fam, params=params))
    return out
