"""Prometheus metrics, named per Prometheus conventions (base units, ``_total`` counters,
bounded label sets: topic, stage, reason, state, strategy instance — never mint or order id)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

EVENTS_IN = Counter("memesnipe_events_in_total", "Messages consumed", ["topic"])
DEAD_LETTERS = Counter("memesnipe_dead_letters_total", "Messages sent to the dead-letter topic", ["topic"])
BATCH_SECONDS = Histogram(
    "memesnipe_agent_batch_seconds",
    "Time an agent spends processing one batch",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
SIGNALS = Counter("memesnipe_signals_total", "Signals emitted", ["strategy", "intent"])
ORDERS = Counter("memesnipe_orders_total", "Order lifecycle transitions", ["state"])
REJECTIONS = Counter("memesnipe_risk_rejections_total", "Signals refused by the risk gate", ["rule"])
ASOF_FALLBACKS = Counter(
    "memesnipe_asof_fallbacks_total",
    "As-of joins that fell back to the latest consumed value (the as-of entry was evicted)",
    ["stage"],
)
PAPER_LANDINGS = Counter(
    "memesnipe_paper_landings_total",
    "Paper latency/landing model outcomes (landed, landing_dropped, landing_slippage, latency_uncovered)",
    ["outcome"],
)
PAPER_QUOTES = Counter(
    "memesnipe_paper_quotes_total",
    "Paper orders on live quotes: quote_unsimulated (priced from the quote) or refused (no quote)",
    ["outcome"],
)
PERP_VENUE_LIVE = Gauge(
    "memesnipe_perp_venue_live", "1 when the perp venue accepts new shorts, 0 paused or unknown", ["venue"]
)
SHADOW_FILLS = Counter(
    "memesnipe_shadow_fills_total",
    "Hypothetical fills booked in strategies' shadow books",
    ["strategy", "side"],
)
FILLS = Counter("memesnipe_fills_total", "Fills", ["strategy", "side"])
PNL_REALIZED = Gauge("memesnipe_realized_pnl_lamports", "Realized PnL net of costs", ["strategy"])
PNL_UNREALIZED = Gauge("memesnipe_unrealized_pnl_lamports", "Unrealized PnL", ["strategy"])
ALLOCATION = Gauge("memesnipe_allocation_ratio", "Capital share per strategy", ["strategy"])
KILL_SWITCH = Gauge("memesnipe_kill_switch_active", "1 while the kill switch is on")
PORTFOLIO_EQUITY = Gauge("memesnipe_portfolio_equity_lamports", "Capital + realized + unrealized PnL")
PORTFOLIO_DRAWDOWN = Gauge("memesnipe_portfolio_drawdown_ratio", "Drawdown from the high-water mark")
DRAWDOWN_LIMIT = Gauge(
    "memesnipe_portfolio_drawdown_limit_ratio", "Drawdown at which the kill switch trips (risk.max_drawdown)"
)
SHARPE = Gauge("memesnipe_strategy_sharpe", "Rolling annualized Sharpe (unshrunk)", ["strategy"])
CONSUMER_LAG = Gauge("memesnipe_consumer_lag_messages", "Messages behind the log end", ["stage"])
SINK_LAG = Gauge("memesnipe_sink_lag_seconds", "Age of the oldest row waiting to be inserted")
READY = Gauge("memesnipe_ready", "1 while the process's /readyz answers 200", ["process"])
NOTIFICATIONS = Counter(
    "memesnipe_notifications_total",
    "Notifications by channel (telegram, webhook) and outcome (sent, failed, skipped)",
    ["channel", "outcome"],
)
NOTIFY_RETRIES = Counter(
    "memesnipe_notification_retries_total", "Notification sends retried (429, 5xx, network)", ["channel"]
)

CONNECTOR_EVENTS = Counter(
    "memesnipe_connector_events_total", "Events published by a live connector", ["source", "topic"]
)
CONNECTOR_ERRORS = Counter(
    "memesnipe_connector_errors_total", "Connector failures (fetch, rejected, parse)", ["source", "kind"]
)
CONNECTOR_FETCH_SECONDS = Histogram(
    "memesnipe_connector_fetch_seconds",
    "Time one connector fetch takes, retries included",
    ["source"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CONNECTOR_LAST_SUCCESS = Gauge(
    "memesnipe_connector_last_success_timestamp_seconds", "Unix time of the last good cycle", ["source"]
)
RECORDER_ROWS = Counter("memesnipe_recorder_rows_total", "Market events written to Parquet", ["topic"])
SINK_ROWS = Counter("memesnipe_sink_rows_total", "Rows inserted into ClickHouse", ["table"])
STRATEGY_PNL = Gauge(
    "memesnipe_strategy_pnl_lamports",
    "PnL per strategy from ClickHouse (basis: gross or net of costs)",
    ["strategy", "basis"],
)
STRATEGY_COSTS = Gauge(
    "memesnipe_strategy_costs_lamports", "Fill costs paid per strategy (from ClickHouse)", ["strategy"]
)
SINK_RETRIES = Counter("memesnipe_sink_insert_retries_total", "ClickHouse inserts retried", ["table"])
SINK_INSERT_SECONDS = Histogram(
    "memesnipe_sink_insert_seconds",
    "Time of one ClickHouse insert",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
SINK_DELAY = Histogram(
    "memesnipe_sink_delay_seconds",
    "Time from a message's Kafka timestamp to its row being inserted",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0),
)


def serve(port: int, host: str = "127.0.0.1") -> bool:
    """Start this process's /metrics endpoint (port 0 disables it). A taken port (e.g. a second
    worker on the same host) is logged, not fatal: give each process its own
    MEMESNIPE_METRICS_PORT."""
    import logging

    if not port:
        return False
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "metrics: cannot listen on %s:%d (%s); set MEMESNIPE_METRICS_PORT per process", host, port, exc
        )
        return False
    logging.getLogger(__name__).info("metrics: http://%s:%d/metrics", host, port)
    return True


def install_faust_sensor(app: object, name_prefix: str = "faust") -> bool:
    """Add Faust's own Prometheus sensor (messages, commits, rebalances, send latency, offsets
    per topic-partition) to this process's registry, so ``serve`` and Faust's web ``/metrics``
    expose it beside ours. Idempotent; a failure is logged, never fatal. Faust observes its
    latencies in milliseconds (its metric names say ``_ms``/``latency``), not seconds."""
    import logging

    try:
        from memesnipe.sensor import install

        install(app, name_prefix)  # Faust's series, label lookups cached (memesnipe.sensor)
        return True
    except ValueError as exc:  # already installed in this process (duplicated timeseries)
        logging.getLogger(__name__).debug("faust prometheus sensor not re-installed: %s", exc)
    except Exception:
        logging.getLogger(__name__).exception("faust prometheus sensor could not be installed")
    return False


REALISED_SLIPPAGE_BPS = Histogram(
    "memesnipe_realised_slippage_bps",
    "Live fills: slippage of the landed amounts against the plan (positive = worse)",
    ["side"],
    buckets=(-100, -25, 0, 10, 25, 50, 100, 200, 500, 1000, 2500),
)
FILLS_PENDING = Counter(
    "memesnipe_fills_pending_total",
    "Landed live orders whose transaction was not yet readable (fill booked later from the chain)",
)
LANDING_OUTCOMES = Counter(
    "memesnipe_landing_outcomes_total",
    "Live submissions by how they ended (landed / failed / expired) and path (jito / rpc)",
    ["via", "state"],
)
TIME_TO_LAND = Histogram(
    "memesnipe_time_to_land_seconds",
    "Live: from submission to the landing being seen",
    ["via"],
    buckets=(0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 60, 120),
)
BUNDLE_REGIONS = Counter(
    "memesnipe_bundle_region_sends_total",
    "sendBundle calls to the block-engine regions, accepted or refused",
    ["outcome"],
)
REBROADCASTS = Counter(
    "memesnipe_rpc_rebroadcasts_total", "Signed transactions sent again over RPC while unconfirmed"
)
RECONCILE_MISMATCHES = Gauge(
    "memesnipe_reconcile_mismatches",
    "Mints whose books and wallet disagreed at two readings in a row (the latest reconciliation)",
)
RECONCILE_ALERTS = Counter(
    "memesnipe_reconcile_alerts_total", "Persistent book/chain mismatches reported, by reading"
)
RECONCILE_ADOPTIONS = Counter(
    "memesnipe_reconcile_adoptions_total", "Adoption fills sent: a position took the chain's token amount"
)
WALLET_EQUITY = Gauge(
    "memesnipe_wallet_equity_lamports",
    "Live: the wallet's value at the last reconciliation (SOL + tokens at the books' mark)",
)

# Bounds of per-key state (#13): each bounded collection reports its size, each as-of history
# its evictions. The stages call these (e.g. once per batch, for the keys they wrote).
STATE_ENTRIES = Gauge(
    "memesnipe_state_entries",
    "Entries in a bounded per-key state: the largest value written lately, or the table's records",
    ["state"],
)
ASOF_EVICTIONS = Gauge(
    "memesnipe_asof_evictions",
    "Entries evicted from an as-of history since the process started (core.asof)",
    ["history"],
)


def report_state_size(state: str, entries: int) -> None:
    """Set the size of one bounded state, e.g. ``report_state_size("position_book", book.entries())``
    or ``report_state_size("order_lifecycle", tables.orders.lifecycle_size())``."""
    STATE_ENTRIES.labels(state=state).set(entries)


def report_asof_evictions() -> None:
    """Publish every as-of history's eviction count (``core.asof.registry``)."""
    from memesnipe.core.asof import registry

    for name, history in registry.items():
        ASOF_EVICTIONS.labels(history=name).set(history.evicted)
