"""Position manager state.

``position_books``: mint -> ``MintBook`` (msgpack): every strategy instance's positions in the
token, their stop state (best price) and exits in flight, and the last input offset applied per
topic. One key per mint rather than per (instance, mint): every input is keyed by mint, so a
price mark reaches all the token's positions with one lookup, and the offsets that make
recovery exact live in the same value as the positions they guard (one write per mint per
batch; they cannot disagree after a crash).

``position_exit_params``: a GlobalTable, instance_id -> the ``params["exits"]`` of its latest
spec (JSON), so any worker can apply a strategy's own stop settings to a mark.

The kill switch (flatten) is read through ``memesnipe.tables.control.shared_kill_view``.
"""

from __future__ import annotations

from typing import Any

from memesnipe.app import app, settings
from memesnipe.core.position_book import MintBook, decode_book, encode_book

position_books: Any = app.Table(
    "position_books",
    default=None,
    key_type=bytes,
    value_type=bytes,
    partitions=settings.kafka.partitions,
    help="mint -> MintBook (msgpack): positions, stops, pending exits, applied offsets",
)

position_exit_params: Any = app.GlobalTable(
    "position_exit_params",
    default=None,
    key_type=bytes,
    value_type=bytes,
    partitions=settings.kafka.partitions,
    help="instance_id -> params['exits'] of its latest spec (JSON)",
)


def load_book(mint: str) -> MintBook | None:
    raw = position_books.get(mint.encode())
    return None if raw is None else decode_book(raw)


__all__ = [
    "encode_book",
    "load_book",
    "position_books",
    "position_exit_params",
]
