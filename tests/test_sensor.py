"""The cached-labels Faust sensor exports exactly the series and values of Faust's own."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP
from prometheus_client import CollectorRegistry

from memesnipe.sensor import CachedLabelsMonitor


class _Stream:
    """What the monitor reads of a stream (hashable and weak-referenceable, as Faust's are)."""

    def __init__(self, topic: str) -> None:
        self.shortlabel = f"Stream: Topic: memesnipe.{topic}"
        self.task_owner = self  # an agent's actor, in Faust


def _drive(monitor: Any) -> None:
    streams = [_Stream("a"), _Stream("b")]
    table = SimpleNamespace(name="strategy_state")
    for i in range(5):
        tp = TP("memesnipe.price", i % 2)
        msg = SimpleNamespace(time_in=None)
        monitor.on_message_in(tp, 10 + i, msg)
        for s in streams:
            state = monitor.on_stream_event_in(tp, 10 + i, s, None)
            monitor.on_stream_event_out(tp, 10 + i, s, None, state)
        monitor.on_table_get(table, b"k")
        monitor.on_table_set(table, b"k", b"v")
        monitor.on_send_initiated(None, f"memesnipe.signals{i % 2}", None, 1, 2)
        monitor.on_message_out(tp, 10 + i, msg)


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for m in registry.collect()
        for s in m.samples
        if not s.name.endswith(("_created", "_sum", "_bucket", "_count"))  # runtimes differ
    }


def test_cached_labels_monitor_exports_the_same_series_and_values_as_fausts() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    _drive(CachedLabelsMonitor(metrics=FaustMetrics.create(ours, "faust")))
    _drive(PrometheusMonitor(metrics=FaustMetrics.create(theirs, "faust")))
    got, want = _samples(ours), _samples(theirs)
    assert got == want
    assert any("stream_" in name and v == 5 for (name, _), v in got.items())
