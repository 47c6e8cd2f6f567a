"""Topic names, from settings. Declared on the Faust app in ``memesnipe.agents.channels``."""

from __future__ import annotations

from dataclasses import dataclass

from memesnipe.settings import Settings

MARKET_TOPICS = ("price", "social", "depth", "bridge", "funding", "sol_price", "onchain")
"""One topic per market event type, keyed by mint (``sol_price`` by the SOL mint)."""

CONTROL_TOPICS = ("specs", "allocations", "killswitch")
TRADING_TOPICS = (
    "signals",  # strategy -> risk gate, keyed by mint
    "orders",  # risk gate -> router, keyed by order_id
    "rejections",  # risk gate refusals, keyed by mint
    "order_updates",  # lifecycle transitions, keyed by order_id
    "exec_requests",  # router -> signer, keyed by request_id
    "exec_results",  # signer -> router/fills, keyed by request_id
    "fills",  # keyed by mint
    "positions",  # keyed by instance_id|mint
)
ALL_TOPICS = (*MARKET_TOPICS, *CONTROL_TOPICS, *TRADING_TOPICS, "deadletter")
COMPACTED = frozenset({"specs", "allocations", "killswitch"})


@dataclass(frozen=True)
class TopicNames:
    prefix: str

    def __call__(self, name: str) -> str:
        if name not in ALL_TOPICS:
            raise KeyError(f"unknown topic {name!r}; known: {', '.join(ALL_TOPICS)}")
        return self.prefix + name


def topic_names(settings: Settings) -> TopicNames:
    return TopicNames(settings.kafka.topic_prefix)
