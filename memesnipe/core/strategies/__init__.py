"""Strategy SDK (contract, registry, engine) and the eleven strategy families.

Importing this package registers every family; see docs/STRATEGY_TEMPLATE.md to add one.
"""

from memesnipe.core.strategies import (  # noqa: F401  (importing registers each family)
    airdrop_rotation,
    bridge_inflow,
    dev_wallet_drain,
    follow_wallets,
    korean_time_burst,
    liquidity_migration,
    mean_revert_1h,
    momentum_5m,
    perp_basis_arb,
    rug_pull_sniffer,
    social_buzz,
)
from memesnipe.core.strategies.base import (
    INTERFACE_VERSION,
    NO_EMITS,
    Emit,
    SpecError,
    State,
    Strategy,
    StrategyParams,
    build_strategy,
    families,
    register_strategy,
    validate_params,
)
from memesnipe.core.strategies.engine import BatchResult, InProcessRunner, StrategyEngine, engine_for

__all__ = [
    "INTERFACE_VERSION",
    "NO_EMITS",
    "BatchResult",
    "Emit",
    "InProcessRunner",
    "SpecError",
    "State",
    "Strategy",
    "StrategyEngine",
    "StrategyParams",
    "build_strategy",
    "engine_for",
    "families",
    "register_strategy",
    "validate_params",
]
