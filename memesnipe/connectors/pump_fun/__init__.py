"""pump.fun discovery: create / create_v2, bonding-curve complete and migrate-to-PumpSwap events
decoded from the program's Anchor event logs."""

from memesnipe.connectors.pump_fun.parse import Discovered, parse_logs

__all__ = ["Discovered", "parse_logs"]
