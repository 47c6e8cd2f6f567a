"""Consumer helpers that need no broker."""

from __future__ import annotations

import numpy as np
from prometheus_client import CollectorRegistry, Histogram

from memesnipe.sinks.consumer import observe_many, topic_pattern


def test_observe_many_matches_one_observe_per_value() -> None:
    values = np.array([0.0, 0.05, 0.0500001, 0.3, 1.0, 2.5, 99.0, 0.1, 0.1])
    buckets = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
    one, many = CollectorRegistry(), CollectorRegistry()
    h1 = Histogram("d_seconds", "d", buckets=buckets, registry=one)
    h2 = Histogram("d_seconds", "d", buckets=buckets, registry=many)
    for v in values:
        h1.observe(float(v))
    observe_many(h2, values)

    def samples(reg: CollectorRegistry) -> list[tuple[str, dict[str, str], float]]:
        return [
            (s.name, s.labels, s.value) for m in reg.collect() for s in m.samples if "created" not in s.name
        ]

    assert samples(one) == samples(many)


def test_topic_pattern_matches_only_this_prefixes_topics() -> None:
    import re

    pat = re.compile(topic_pattern("memesnipe."))
    assert pat.match("memesnipe.fills") and pat.match("memesnipe.sol_price")
    assert not pat.match("memesnipeXfills")  # the dot is literal
    assert not pat.match("other.fills") and not pat.match("memesnipe.fills-changelog")
