-- MemeSnipe analytics schema, version 1.
-- Every table: ReplacingMergeTree keyed (ORDER BY) on run_id + the row's stable id, so a
-- replayed or retried insert collapses into the row already there; queries read through
-- FINAL / LIMIT 1 BY so results never count a duplicate. Monthly partitions on event time.
-- Money in lamports (Int64), token quantities in base units (Int64), prices Float64.
-- `ver` decides which duplicate survives (the largest).

CREATE TABLE IF NOT EXISTS {db}.signals
(
    run_id LowCardinality(String),
    signal_id String,
    instance_id LowCardinality(String),
    family LowCardinality(String),
    mint String,
    ts DateTime64(6, 'UTC'),
    side LowCardinality(String),
    intent LowCardinality(String),
    strength Float64,
    reason String,
    price_usd Float64,
    price_sol Float64,
    block_entries UInt8,
    meta String CODEC(ZSTD(3)),
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, instance_id, signal_id);

CREATE TABLE IF NOT EXISTS {db}.orders
(
    run_id LowCardinality(String),
    order_id String,
    signal_id String,
    instance_id LowCardinality(String),
    family LowCardinality(String),
    mint String,
    ts DateTime64(6, 'UTC'),
    side LowCardinality(String),
    intent LowCardinality(String),
    venue LowCardinality(String),
    amount_in Int64,
    slippage_bps Int32,
    price_usd Float64,
    price_sol Float64,
    reason String,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, instance_id, order_id);

CREATE TABLE IF NOT EXISTS {db}.rejections
(
    run_id LowCardinality(String),
    signal_id String,
    instance_id LowCardinality(String),
    mint String,
    ts DateTime64(6, 'UTC'),
    side LowCardinality(String),
    intent LowCardinality(String),
    rule LowCardinality(String),
    reason String,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, instance_id, signal_id);

-- One row per transition of an order's lifecycle: stable id (order_id, state).
CREATE TABLE IF NOT EXISTS {db}.order_updates
(
    run_id LowCardinality(String),
    order_id String,
    state LowCardinality(String),
    ts DateTime64(6, 'UTC'),
    reason String,
    signature String,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, order_id, state);

-- Execution requests without the transaction or its HMAC (never stored).
CREATE TABLE IF NOT EXISTS {db}.exec_requests
(
    run_id LowCardinality(String),
    request_id String,
    order_id String,
    mint String,
    intent LowCardinality(String),
    ts DateTime64(6, 'UTC'),
    spend_lamports Int64,
    tip_lamports Int64,
    paper UInt8,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, request_id);

-- Execution results without the signed transaction; stable id (request_id, status).
CREATE TABLE IF NOT EXISTS {db}.exec_results
(
    run_id LowCardinality(String),
    request_id String,
    order_id String,
    mint String,
    status LowCardinality(String),
    ts DateTime64(6, 'UTC'),
    signature String,
    reason String,
    slot Nullable(Int64),
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, request_id, status);

-- Fills carry every cost; fill_id == order_id (exactly one fill per order).
CREATE TABLE IF NOT EXISTS {db}.fills
(
    run_id LowCardinality(String),
    fill_id String,
    order_id String,
    instance_id LowCardinality(String),
    family LowCardinality(String),
    mint String,
    ts DateTime64(6, 'UTC'),
    side LowCardinality(String),
    intent LowCardinality(String),
    qty_tokens Int64,
    notional_lamports Int64,
    price_sol Float64,
    price_usd Float64,
    swap_fee_lamports Int64,
    priority_fee_lamports Int64,
    jito_tip_lamports Int64,
    drift_fee_lamports Int64,
    funding_lamports Int64,
    cost_lamports Int64,
    paper UInt8,
    signature String,
    reason String,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, instance_id, fill_id);

-- Position snapshots (one per fill or mark) = the PnL snapshots per (instance, mint):
-- stable id (instance_id, mint, ts); ver = source offset, so the later of two updates
-- at the same event time wins.
CREATE TABLE IF NOT EXISTS {db}.positions
(
    run_id LowCardinality(String),
    instance_id LowCardinality(String),
    mint String,
    ts DateTime64(6, 'UTC'),
    status LowCardinality(String),
    side LowCardinality(String),
    qty_tokens Int64,
    entry_price_sol Float64,
    mark_price_sol Float64,
    cost_lamports Int64,
    realized_pnl_lamports Int64,
    unrealized_pnl_lamports Int64,
    fees_lamports Int64,
    stop_price_sol Nullable(Float64),
    peak_price_sol Nullable(Float64),
    exit_reason String,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, instance_id, mint, ts);

CREATE TABLE IF NOT EXISTS {db}.allocations
(
    run_id LowCardinality(String),
    instance_id LowCardinality(String),
    ts DateTime64(6, 'UTC'),
    weight Float64,
    capital_lamports Int64,
    sharpe Float64,
    samples Int64,
    reason String,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, instance_id, ts);

CREATE TABLE IF NOT EXISTS {db}.killswitch
(
    run_id LowCardinality(String),
    ts DateTime64(6, 'UTC'),
    by LowCardinality(String),
    active UInt8,
    reason String,
    flatten UInt8,
    drawdown Nullable(Float64),
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, ts, by);

CREATE TABLE IF NOT EXISTS {db}.strategy_specs
(
    run_id LowCardinality(String),
    instance_id LowCardinality(String),
    revision Int64,
    family LowCardinality(String),
    enabled UInt8,
    params String,
    ts DateTime64(6, 'UTC'),
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, instance_id, revision);

-- Sampled market events: at most one row per (type, mint, second), the earliest by offset
-- (ver = 2^63 - offset). The raw message is kept in `payload`.
CREATE TABLE IF NOT EXISTS {db}.market_events
(
    run_id LowCardinality(String),
    type LowCardinality(String),
    mint String,
    sec DateTime('UTC'),
    ts DateTime64(6, 'UTC'),
    source LowCardinality(String),
    price_usd Float64,
    price_sol Float64,
    volume_usd Float64,
    liquidity_usd Float64,
    value Float64,
    kind LowCardinality(String),
    payload String CODEC(ZSTD(3)),
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(sec)
ORDER BY (run_id, type, mint, sec);

-- Messages nobody could use: the dead letters (with reason) and any the sink itself refused.
CREATE TABLE IF NOT EXISTS {db}.dead_letters
(
    run_id LowCardinality(String),
    topic LowCardinality(String),
    partition Int32,
    offset Int64,
    key String,
    reason String,
    payload String CODEC(ZSTD(3)),
    consumer LowCardinality(String),
    ts DateTime64(6, 'UTC'),
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, topic, partition, offset);
