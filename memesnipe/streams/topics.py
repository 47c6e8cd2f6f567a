"""Topic names, from settings. Declared on the Faust app in ``memesnipe.agents.channels``."""

from __future__ import annotations

from dataclasses import dataclass

from memesnipe.settings import Settings

MARKET_TOPICS = ("price", "social", "depth", "bridge", "funding", "sol_price", "onchain")
"""One topic per market event type, keyed by mint (``sol_price`` by the SOL mint)."""

CONTROL_TOPICS = ("specs", "allocations", "killswitch")
TRADING_TOPICS = (
    "signals",  # strategy -> risk gate, keyed by mint
    "orders",  # risk gate -> router
    "rejections",  # risk gate refusals
    "order_updates",  # lifecycle transitions
    "exec_requests",  # router -> signer
    "exec_results",  # signer -> submitter/fills
    "fills",
    "positions",
)
"""Every trading topic is keyed by MINT, so that all of a token's market data, signals, orders,
results, fills and positions are co-partitioned and one worker owns all of a mint's state."""
ALL_TOPICS = (*MARKET_TOPICS, *CONTROL_TOPICS, *TRADING_TOPICS, "deadletter")
DISCOVERY_TOPICS = ("watchlist",)
"""Written by discovery (``memesnipe connect discovery``) and read by the per-mint connectors,
never by the worker's stages or the analytics sink, so they are not in ALL_TOPICS (which the
worker declares and the sink subscribes to). ``watchlist``: WatchlistEntry, compacted, key = mint."""
RECONCILE_TOPICS = ("reconciliations", "perp_reconciliations")
"""Written by the reconciler (``memesnipe reconcile``), keyed by the wallet: the books against the
chain at each reading (streams.reconcile.Reconciliation); read by people and alerting, not stages.
``perp_reconciliations``: the books' shorts against the perp venue's account (reconciler/perp.py),
keyed ``<venue>:<wallet>``, apart so a venue reading is never taken for the wallet's equity."""
KNOWN_TOPICS = (*ALL_TOPICS, *DISCOVERY_TOPICS, *RECONCILE_TOPICS)
COMPACTED = frozenset({"specs", "allocations", "killswitch", "watchlist"})
KEEP_TOMBSTONES_MS = 10 * 365 * 24 * 3600 * 1000
"""The kill switch's tombstones are kept (delete.retention.ms, ~10 years): compaction would
otherwise drop a tombstone and everything before it after a day, and a reader started later
would see an empty topic (switch OFF) where the fold's meaning is ON ("state unknown")."""


def topic_configs(short: str) -> dict[str, str]:
    """The broker configs a topic is created with, the one place they are decided."""
    if short not in COMPACTED:
        return {}
    configs = {"cleanup.policy": "compact"}
    if short == "killswitch":
        configs["delete.retention.ms"] = str(KEEP_TOMBSTONES_MS)
    return configs


KEY_FIELDS: dict[str, str] = {
    **{t: "mint" for t in MARKET_TOPICS},
    **{t: "mint" for t in TRADING_TOPICS if t != "order_updates"},
    "specs": "instance_id",
    "allocations": "instance_id",
    "ledger": "instance_id",
    "watchlist": "mint",
}
"""The message field a topic's record key must equal (``streams.codec.decode_record`` checks
it). ``order_updates`` is keyed by mint too, but an OrderUpdate carries no mint to compare."""
FIXED_KEYS: dict[str, bytes] = {"killswitch": b"global"}
"""Topics whose every record has one fixed key (the kill switch: one state, ``global``)."""


@dataclass(frozen=True)
class TopicNames:
    prefix: str

    def __call__(self, name: str) -> str:
        if name not in KNOWN_TOPICS:
            raise KeyError(f"unknown topic {name!r}; known: {', '.join(KNOWN_TOPICS)}")
        return self.prefix + name


def topic_names(settings: Settings) -> TopicNames:
    return TopicNames(settings.kafka.topic_prefix)
