"""RugCheck (api.rugcheck.xyz): the token report summary (score, risks, LP locked share)."""

from memesnipe.connectors.rugcheck.client import RugCheckClient
from memesnipe.connectors.rugcheck.parse import PROVIDER, rugcheck_event

__all__ = ["PROVIDER", "RugCheckClient", "rugcheck_event"]
