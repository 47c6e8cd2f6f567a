"""Ids of the exits a position book sends and of the positions it keeps: derived from what caused
them, so a replay gives the same id."""

from __future__ import annotations

import hashlib
import re

from memesnipe.core.trailing_stop import Direction


def position_key(instance_id: str, direction: Direction) -> str:
    return f"{instance_id}|{direction.value}"


def exit_signal_id(instance_id: str, direction: Direction, source_id: str, position_id: str = "") -> str:
    """Derived from the input that triggered the exit and the position it closes, so a replay
    gives the same id and two positions never share one: a stop that closed a position and, on a
    late fill's replay, trips again for the position that fill opened must not be dropped by the
    risk gate as the first exit seen again (tests/faults found it: the second position stayed
    open until the exit retry). ``p<8 hex>``: a digest of the position id."""
    tag = f"p{hashlib.sha256(position_id.encode()).hexdigest()[:8]}|" if position_id else ""
    return f"exit|{instance_id}|{direction.value}|{tag}{source_id}"


_POSITION_TAG = re.compile(r"\|p[0-9a-f]{8}\|")


def exit_source(signal_id: str) -> str:
    """An exit id without its position tag: ``exit|instance|direction|<input>``."""
    return _POSITION_TAG.sub("|", signal_id, count=1)
