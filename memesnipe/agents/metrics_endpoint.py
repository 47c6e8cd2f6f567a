"""The worker's Prometheus endpoint: our metrics and Faust's own sensor, on one port."""

from __future__ import annotations

from memesnipe import metrics
from memesnipe.app import app, settings


@app.task
async def serve_metrics() -> None:
    metrics.serve(settings.metrics_port, settings.metrics_host)
