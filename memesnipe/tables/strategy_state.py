"""Strategy state tables, keyed like the market topics that fill them (by mint).

``strategy_state``: ``b"instance_id|mint"`` -> the instance's state for that mint (windows,
position flag, last applied offset per input topic) as msgspec JSON.
``market_context``: ``b"mint"`` -> last spot price and the mint's Drift perp market index
(learnt from the funding topic), used to price signals and to decide whether a short thesis
can be a perp short.

Both are written once per batch per changed key under the partition of the event that changed
it (``tables.partitioned.write_keys``); every market topic is keyed by mint, so a key's
changelog partition is its mint's partition and a rebalance moves state with the mint.
"""

from __future__ import annotations

from typing import Any

import msgspec

from memesnipe.app import app, settings

_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder(dict[str, Any])


def dump_state(state: dict[str, Any]) -> bytes:
    return _enc.encode(state)


def load_state(raw: bytes | None) -> dict[str, Any] | None:
    return None if raw is None else _dec.decode(raw)


def _table(name: str, help_: str) -> Any:
    return app.Table(
        name,
        default=None,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.kafka.partitions,
        help=help_,
    )


strategy_state = _table("strategy_state", "instance_id|mint -> strategy state (msgspec JSON)")
market_context = _table("market_context", "mint -> last price and perp market (msgspec JSON)")
