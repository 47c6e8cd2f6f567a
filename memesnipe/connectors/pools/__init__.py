"""AMM pools on Solana: new pools read from their creating transaction, and a pool's own state
(reserves, LP burned) read from its accounts. Per-DEX layouts live in raydium/, meteora/ and
pump_fun/; this package holds what they share."""
