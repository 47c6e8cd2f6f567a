"""Rehearsal of the live pipeline on a local chain (issue #15): LiteSVM plus venue stand-ins."""
