"""Raydium AMM v4 and CPMM: pool initialisation and pool-state layouts, from Raydium's sources."""
