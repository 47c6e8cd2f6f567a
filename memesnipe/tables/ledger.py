"""Ledger tables and the single-partition ledger topic.

- ``ledger_mint[mint]`` (co-partitioned with positions/price): :class:`MintLedgerState`, each
  strategy's :class:`~memesnipe.core.ledger.PositionsPnl` on that mint (from the positions
  topic) and its shadow book's :class:`~memesnipe.core.ledger.PositionPnl`.
- ``<prefix>ledger`` (ONE partition, keyed by instance_id): :class:`LedgerMark` messages. One
  partition puts every strategy's PnL on one worker, which is what lets the allocator compare
  strategies and the portfolio monitor sum equity without a cross-worker step. Its volume is
  bounded: one mark per fill plus at most one per strategy and mint per ``mark_interval_s``.
- ``ledger_strategy[instance_id]`` (1 partition): :class:`~memesnipe.core.ledger.StrategyLedger`.
- ``portfolio[b"global"]`` (1 partition): :class:`PortfolioState`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from memesnipe.app import app, settings
from memesnipe.core.ledger import MintPnl, PositionPnl, PositionsPnl, StrategyLedger

LEDGER_TOPIC = settings.kafka.topic_prefix + "ledger"
PORTFOLIO_KEY = b"global"


class MintLedgerState(msgspec.Struct, kw_only=True):
    offsets: dict[str, int] = {}
    held: dict[str, PositionsPnl] = {}  # instance -> its PnL from the positions topic
    positions: dict[str, PositionPnl] = {}  # before the positions topic: read, no longer written
    fills_seen: list[str] = []
    shadow: dict[str, PositionPnl] = {}  # instance -> shadow position (core.shadow)
    shadow_seen: list[str] = []  # recent signal ids booked in the shadow


class PortfolioState(msgspec.Struct, kw_only=True):
    offset: int = -1  # last applied ledger-topic offset
    marks: dict[str, MintPnl] = {}  # "instance|mint" -> latest PnL
    pnl: int = 0  # sum of realized + unrealized over marks
    hwm: float = 0.0
    equity: float = 0.0
    tripped: bool = False
    trip_ts: float = 0.0  # wall-clock time of our kill switch (a later resume re-arms)
    trips: int = 0
    wallet_ts: float = 0.0  # live: event time of the wallet reading applied last (0: none yet)


ledger_topic = app.topic(
    LEDGER_TOPIC,
    key_type=bytes,
    value_type=bytes,
    partitions=1,
    replicas=settings.kafka.replication,
    internal=True,
)


def _table(name: str, help_: str, partitions: int) -> Any:
    return app.Table(name, default=None, key_type=bytes, value_type=bytes, partitions=partitions, help=help_)


ledger_mint = _table("ledger_mint", "mint -> MintLedgerState (msgspec JSON)", settings.kafka.partitions)
ledger_strategy = _table("ledger_strategy", "instance_id -> StrategyLedger (msgspec JSON)", 1)
portfolio = _table("portfolio", "'global' -> PortfolioState (msgspec JSON)", 1)

_enc = msgspec.json.Encoder()
_mint_dec = msgspec.json.Decoder(MintLedgerState)
_strat_dec = msgspec.json.Decoder(StrategyLedger)
_port_dec = msgspec.json.Decoder(PortfolioState)


def dump(value: msgspec.Struct) -> bytes:
    return _enc.encode(value)


def load_mint(raw: bytes | None) -> MintLedgerState:
    return MintLedgerState() if raw is None else _mint_dec.decode(raw)


def load_strategy(raw: bytes | None) -> StrategyLedger:
    return StrategyLedger() if raw is None else _strat_dec.decode(raw)


def load_portfolio(raw: bytes | None) -> PortfolioState:
    return PortfolioState() if raw is None else _port_dec.decode(raw)
