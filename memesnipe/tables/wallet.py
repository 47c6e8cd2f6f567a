"""The wallet as the reconciler last read it (live mode): the newest ``Reconciliation`` on the
``reconciliations`` topic, whose ``equity_lamports`` (SOL + wrapped SOL + tokens at the books'
mark) is live equity for the portfolio monitor's drawdown and kill switch."""

from __future__ import annotations

from dataclasses import dataclass, field

from memesnipe.settings import Settings
from memesnipe.streams.codec import decode_record
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.streams.topics import topic_names
from memesnipe.tables.views import GlobalView


@dataclass
class WalletView:
    """Follows every partition of ``reconciliations``; ``latest`` is the newest reading by its
    own time (a record it cannot read is skipped: the view logs it)."""

    bootstrap: str
    topic: str
    latest: Reconciliation | None = None
    view: GlobalView | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> WalletView:
        return cls(settings.kafka.bootstrap_servers, topic_names(settings)("reconciliations"))

    def apply(self, key: bytes | None, value: bytes | None, partition: int, offset: int, ts_ms: int) -> None:
        if value is None:
            return
        rec = decode_record(value, Reconciliation, topic="reconciliations", key=key)
        if self.latest is None or rec.ts >= self.latest.ts:
            self.latest = rec

    async def start(self) -> None:
        """Start following; not waited on: a reading arrives whenever the reconciler makes one."""
        if self.view is None:
            self.view = GlobalView(self.bootstrap, {self.topic: self.apply})
            await self.view.start()

    async def stop(self) -> None:
        if self.view is not None:
            await self.view.stop()
