"""RugCheck (api.rugcheck.xyz): the token report summary (score, risks, LP locked share) and the
full report's LP lockers (when the LP unlocks)."""

from memesnipe.connectors.rugcheck.client import RugCheckClient
from memesnipe.connectors.rugcheck.parse import PROVIDER, lp_unlock_at, rugcheck_event

__all__ = ["PROVIDER", "RugCheckClient", "lp_unlock_at", "rugcheck_event"]
