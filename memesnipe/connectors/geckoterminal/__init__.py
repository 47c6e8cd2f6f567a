"""GeckoTerminal (CoinGecko's on-chain DEX API): a mint's pools with 5-minute volume and trades."""
