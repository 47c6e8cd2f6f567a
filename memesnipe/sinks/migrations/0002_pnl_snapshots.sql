-- PnL snapshots per minute: the last position state of each (instance, mint) in each minute.
-- A plain view over the deduplicated positions, so it can never double count a replay.
CREATE VIEW IF NOT EXISTS {db}.pnl_snapshots AS
SELECT
    run_id,
    instance_id,
    mint,
    toStartOfMinute(ts) AS minute,
    argMax(status, ts) AS status,
    argMax(qty_tokens, ts) AS qty_tokens,
    argMax(mark_price_sol, ts) AS mark_price_sol,
    argMax(realized_pnl_lamports, ts) AS realized_pnl_lamports,
    argMax(unrealized_pnl_lamports, ts) AS unrealized_pnl_lamports,
    argMax(fees_lamports, ts) AS fees_lamports
FROM {db}.positions FINAL
GROUP BY run_id, instance_id, mint, minute
SETTINGS prefer_column_name_to_alias = 1;
