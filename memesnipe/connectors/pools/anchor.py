"""Anchor's instruction discriminator and its ``Instruction: <Name>`` log line."""

from __future__ import annotations

import hashlib


def instruction_discriminator(name: str) -> bytes:
    """The first 8 bytes of sha256("global:<snake_case name>"), Anchor's instruction tag."""
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


def log_name(name: str) -> str:
    """What Anchor logs when the instruction runs: ``initialize_lb_pair`` -> ``InitializeLbPair``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))
