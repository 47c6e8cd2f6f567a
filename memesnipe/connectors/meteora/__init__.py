"""Meteora DLMM and DAMM v2: pool-creating instructions, from Meteora's published IDLs."""
