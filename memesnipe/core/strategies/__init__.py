"""core/strategies."""
