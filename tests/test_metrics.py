"""Prometheus exposure helpers: Faust's sensor joins our registry; the app installs it."""

from __future__ import annotations

import uuid

import faust
from prometheus_client import REGISTRY, generate_latest

from memesnipe import metrics


def test_faust_sensor_registers_once_and_monitors_the_app() -> None:
    prefix = "t" + uuid.uuid4().hex[:8]
    app = faust.App(prefix, broker="kafka://127.0.0.1:9092")
    assert metrics.install_faust_sensor(app, name_prefix=prefix) is True
    assert metrics.install_faust_sensor(app, name_prefix=prefix) is False  # idempotent, no crash
    assert type(app.monitor).__name__ == "PrometheusMonitor"
    text = generate_latest(REGISTRY).decode()
    assert f"{prefix}_total_events" in text and "memesnipe_sink_rows_total" in text


def test_the_pipeline_app_carries_the_faust_sensor() -> None:
    from memesnipe.app import app

    assert type(app.monitor).__name__ == "PrometheusMonitor"
    assert "faust_messages_received_total" in generate_latest(REGISTRY).decode()
