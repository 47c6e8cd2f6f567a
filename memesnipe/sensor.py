"""Faust's Prometheus sensor with its per-event label lookups cached.

Faust calls its monitor for every message in, every event of every stream, every table read and
write and every send. ``faust.sensors.prometheus.PrometheusMonitor`` resolves a labelled child
(``metric.labels(...)``, a lock and a dict lookup under prometheus-client) on each call, and for
stream events first renders the stream's label through a regex: about 8 % of a worker's CPU on the
market-data path (bench/pipeline.py, py-spy). :class:`CachedLabelsMonitor` exports the same
series with the same values; it only keeps each labelled child once resolved.

Touches Faust internals (``PrometheusMonitor``, ``Monitor``, ``FaustMetrics``): re-check them when
faust-streaming moves from 0.15.x (tests/test_metrics.py compares the series with Faust's own).
"""

from __future__ import annotations

from typing import Any

from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import REGISTRY, CollectorRegistry


class CachedLabelsMonitor(PrometheusMonitor):  # type: ignore[misc]
    """``PrometheusMonitor`` whose hot per-event methods reuse resolved label children."""

    def __init__(self, metrics: FaustMetrics, **kwargs: Any) -> None:
        super().__init__(metrics=metrics, **kwargs)
        self._label_children: dict[Any, Any] = {}

    def _child(self, key: Any, metric: Any, **labels: Any) -> Any:
        child = self._label_children.get(key)
        if child is None:
            child = self._label_children[key] = metric.labels(**labels)
        return child

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        Monitor.on_message_in(self, tp, offset, message)
        m = self._metrics
        m.messages_received.inc()
        m.active_messages.inc()
        self._child(("in", tp.topic), m.messages_received_per_topics, topic=tp.topic).inc()
        self._child(
            ("in", tp), m.messages_received_per_topics_partition, topic=tp.topic, partition=tp.partition
        ).set(offset)

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> dict[str, Any] | None:
        state = Monitor.on_stream_event_in(self, tp, offset, stream, event)
        m = self._metrics
        m.total_events.inc()
        m.total_active_events.inc()
        child = self._label_children.get(stream)
        if child is None:
            label = f"stream.{self._stream_label(stream)}.events"
            child = self._label_children[stream] = m.total_events_per_stream.labels(stream=label)
        child.inc()
        return state  # type: ignore[no-any-return]

    def on_table_get(self, table: Any, key: Any) -> None:
        Monitor.on_table_get(self, table, key)
        name = table.name
        self._child(
            ("get", name),
            self._metrics.table_operations,
            table=f"table.{name}",
            operation=self.KEYS_RETRIEVED,
        ).inc()

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        Monitor.on_table_set(self, table, key, value)
        name = table.name
        self._child(
            ("set", name), self._metrics.table_operations, table=f"table.{name}", operation=self.KEYS_UPDATED
        ).inc()

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> Any:
        self._child(("send", topic), self._metrics.topic_messages_sent, topic=f"topic.{topic}").inc()
        return Monitor.on_send_initiated(self, producer, topic, message, keysize, valsize)


def install(app: Any, name_prefix: str, registry: CollectorRegistry = REGISTRY) -> None:
    """As ``faust.sensors.prometheus.setup_prometheus_sensors`` (the same series, Faust's web
    ``/metrics`` page), with :class:`CachedLabelsMonitor` as the app's monitor."""
    from faust.sensors.prometheus import setup_prometheus_sensors

    setup_prometheus_sensors(app, registry=registry, name_prefix=name_prefix)
    app.monitor = CachedLabelsMonitor(metrics=app.monitor._metrics)
