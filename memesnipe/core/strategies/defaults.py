"""Default strategy specs: one instance of every family, tuned to fire now and then on the
market simulator's stream (pumps, dumps, rugs, social bursts, bridge inflows, dev sells, the
swaps of followed wallets).

Parameters not listed use the family's documented defaults.
"""

from __future__ import annotations

from typing import Any

from memesnipe.core.strategies.base import validate_params
from memesnipe.streams.control import StrategySpec

SIMULATED_FOLLOWED_WALLETS = (
    "GqvyRtrPaye1pcxcwPwVbn8FByNkz6d7XEgEL38o9nSx",
    "FzcvDba4BpVzTubeHYoyNszZCDdPeXrzHRe1fYN7qRNm",
    "627pzfr1wdSHd74Rj2NTeefehcm61kugC3Cgb5zw7G8R",
)
"""The wallets whose swaps the market simulator generates (``connectors.simulator.model``):
sha256 of a label taken as a public key, so no one holds their keys and they never trade on
chain. Live, ``follow_wallets.default`` therefore copies nobody until its wallets are set:
``memesnipe strategies set follow_wallets.default --family follow_wallets --params '{"wallets":
{"<address>": {"weight": 0.5, "max_sol": 5}}}'``."""

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
    "follow_wallets": {
        "wallets": {
            SIMULATED_FOLLOWED_WALLETS[0]: {"weight": 1.0, "max_sol": 4.0},
            SIMULATED_FOLLOWED_WALLETS[1]: {"weight": 0.6, "max_sol": 4.0},
            SIMULATED_FOLLOWED_WALLETS[2]: {"weight": 0.3, "max_sol": 2.0, "max_losses": 2},
        }
    },
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
