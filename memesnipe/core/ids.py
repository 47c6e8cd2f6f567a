"""Idempotency keys shared by every stage (signal -> order -> request -> fill)."""

from __future__ import annotations

import hashlib


def order_id(instance_id: str, mint: str, signal_id: str) -> str:
    """The order's idempotency key: ``sha256(instance_id|mint|signal_id)[:32]``.

    A replayed signal keeps its ``signal_id``, so it maps to the same order id and every
    consumer downstream (router, signer, fills, sink) can drop the duplicate.
    """
    return hashlib.sha256(f"{instance_id}|{mint}|{signal_id}".encode()).hexdigest()[:32]
