"""The books as the reconcilers read them: the positions topic folded into the latest update per
(instance, mint), one record at a time (the wallet's and the perp venue's reconcilers alike)."""

from __future__ import annotations

import logging

import msgspec

from memesnipe.core.reconcile import latest_positions
from memesnipe.streams.trading import PositionUpdate

log = logging.getLogger("memesnipe.reconciler")
_positions = msgspec.json.Decoder(PositionUpdate)


def fold_position(
    positions: dict[tuple[str, str], PositionUpdate], value: bytes | None
) -> tuple[PositionUpdate | None, bool]:
    """(the update folded into ``positions``, or None; whether the record was unreadable). A
    record it cannot read, whatever the exception, is skipped: the worker's boundary agent
    dead-letters it once (agents/boundary.py), and the reconciler goes on with the books it has."""
    if not value:
        return None, False
    try:
        u = _positions.decode(value)
    except Exception as exc:
        log.warning("positions record skipped: %s", type(exc).__name__)
        return None, True
    key = (u.instance_id, u.mint)
    prev = positions.get(key)
    positions[key] = latest_positions([prev, u] if prev is not None else [u])[key]
    return u, False
