"""The kill switch as the signer sees it: the one fold of ``memesnipe.core.control`` (latest
``global`` record wins; an unreadable record or a tombstone means ON; other keys are ignored).

The signer worker reads the topic to its end before it consumes its first request (its own
barrier: ``SignerWorker.kill_loaded``, ``/readyz``), so a ``KillState()`` starts as read to its
end; ``KillState.loading()`` gives one that answers ON until :meth:`KillState.loaded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from memesnipe.core.control import KILL_KEY_BYTES, KillFold, KillStatus


@dataclass(slots=True)
class KillState:
    active: bool = False
    reason: str = ""
    by: str = ""
    fold: KillFold = field(default_factory=lambda: KillFold(read_to_end=True), repr=False)
    _seq: int = field(default=0, repr=False)

    @classmethod
    def loading(cls) -> KillState:
        """A state that answers ON ("not read to its end yet") until :meth:`loaded`."""
        st = cls(fold=KillFold())
        st._sync()
        return st

    def apply(
        self,
        raw: bytes | None,
        *,
        key: bytes | None = KILL_KEY_BYTES,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        """Apply one killswitch record (in log order). Without a position the records are
        taken in the order applied. Any failure turns the switch on: refusing entries is the
        safe side of not knowing, and nothing here may stop the signer."""
        if partition is None or offset is None:
            partition, offset = 0, self._seq
            self._seq += 1
        try:
            self.fold.apply(key, raw, partition, offset)
        except Exception as exc:  # defensive: the fold already turns decode failures into ON
            self.active, self.reason, self.by = (
                True,
                f"undecodable killswitch message ({type(exc).__name__})",
                "signer",
            )
            return
        self._sync()

    def loaded(self) -> None:
        """The topic was read to its end: from now on the fold's answer counts."""
        self.fold.mark_read_to_end()
        self._sync()

    @property
    def status(self) -> KillStatus:
        return self.fold.status

    def _sync(self) -> None:
        st = self.fold.status
        self.active, self.reason, self.by = st.active, st.reason, st.by
