"""The Faust app and nothing else; every agent module imports ``app`` from here.

``faust -A memesnipe.app worker`` and ``memesnipe worker`` both start it. Which agent modules
load is an explicit list (Faust's autodiscover), one module per pipeline stage. No ``origin``:
Faust would add it to the discovery list and scan the whole package, so every agent would run.
"""

from __future__ import annotations

import faust

from memesnipe import logs, metrics
from memesnipe.kafka_internals import faust_cli, recovery
from memesnipe.kafka_internals.recovery import OrderedTableManager
from memesnipe.settings import Settings, get_settings
from memesnipe.tables.durable import DurableTable

faust_cli.install()

AGENT_MODULES = [
    "memesnipe.agents.metrics_endpoint",
    "memesnipe.agents.strategy_runner",
    "memesnipe.agents.risk_gate",
    "memesnipe.agents.ledger",
    "memesnipe.agents.allocator",
    "memesnipe.agents.portfolio_monitor",
    "memesnipe.agents.router",
    "memesnipe.agents.fills",
    "memesnipe.agents.submitter",
    "memesnipe.agents.position_manager",
    "memesnipe.agents.boundary",
]


def create_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.kafka.app_id,
        broker=settings.kafka.broker,
        store=settings.kafka.store,
        topic_partitions=settings.kafka.partitions,
        topic_replication_factor=settings.kafka.replication,
        topic_allow_declare=True,
        autodiscover=AGENT_MODULES,
        web_port=settings.web_port,
        web_host="127.0.0.1",
        datadir=str(settings.data_dir / "faust"),
        logging_config=logs.faust_logging_config(settings.log_level, settings.log_format),  # JSON lines
        key_serializer="raw",
        value_serializer="raw",
        stream_wait_empty=False,
        consumer_auto_offset_reset="earliest",
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        table_standby_replicas=0,
        producer_linger_ms=5,
        producer_max_batch_size=256 * 1024,
        Table=DurableTable,  # changelog writes can be awaited before inputs are acknowledged
        TableManager=OrderedTableManager,  # no records dropped when streams resume (kafka_internals.recovery)
    )
    recovery.install(app)  # ... nor by a fetch that outlives a pause (kafka_internals.recovery)
    return app


settings = get_settings()
app = create_app(settings)
metrics.install_faust_sensor(app)  # Faust's own Prometheus sensor, on the same /metrics
