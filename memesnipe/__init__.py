"""MemeSnipe: an autonomous multi-strategy trading platform for Solana memecoins on Kafka + Faust."""

__version__ = "0.1.0"
