-- Live fills: what the plan expected, so realised slippage can be read back (0 = paper).
ALTER TABLE {db}.fills ADD COLUMN IF NOT EXISTS expected_qty_tokens Int64 DEFAULT 0 AFTER reason;
ALTER TABLE {db}.fills ADD COLUMN IF NOT EXISTS expected_notional_lamports Int64 DEFAULT 0 AFTER expected_qty_tokens;

-- The perp reconciler's readings (perp_reconciliations topic): the venue's status and why,
-- one row per reading; stable id (venue_key, ts).
CREATE TABLE IF NOT EXISTS {db}.perp_reconciliations
(
    run_id LowCardinality(String),
    venue_key String,
    ts DateTime64(6, 'UTC'),
    reason String,
    holdings UInt32,
    mismatches UInt32,
    ver UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, venue_key, ts);
