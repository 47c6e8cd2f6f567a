"""The kill switch: ONE fold of its topic, with one meaning, read by every stage.

The ``killswitch`` topic is compacted and keyed ``global``. Every reader (the risk gate's view,
the router, the position manager, the portfolio monitor, the signer, the cockpit, ``memesnipe
killswitch`` and ``preflight``) feeds its records, in the order its consumer returns them, to a
:class:`KillFold` and asks it for :attr:`KillFold.status`. Pure: no Kafka client, no Faust (the
isolated signer uses it too).

===================================  =======  ================================================
records seen (in log order)          answer   why
===================================  =======  ================================================
topic not yet read to its end        ON       not ready: an active switch may be further on;
                                              readers hold or refuse entries until caught up
read to its end, no ``global``       OFF      never set: trading allowed
record
``active=true``                      ON       the record (who, why, flatten, drawdown)
``active=false``                     OFF      the record: an explicit resume
unreadable record (not JSON, wrong   ON       fail closed: "undecodable killswitch message at
schema or version, over the size or           [partition]@offset: <why>"; never flattens
nesting bounds, RecursionError,
event time out of bounds, ...)
tombstone (``None`` value)           ON       "state unknown": deleting the key is not a
                                              resume; only an ``active=false`` record is
record under another key (or none)   ignored  counted in ``ignored_keys``; the state is unchanged
record at or before the last one     ignored  counted in ``stale`` (a re-read after a reconnect
applied (partition, offset)                   or a restart of the tail)
===================================  =======  ================================================

"Latest" is the greatest ``(partition, offset)``: the ``global`` key hashes to one partition, so
this is its log order; a record forced into another partition is ordered by partition first, so
every reader answers the same whatever order its fetches interleave. The answer is that of the
latest ``global`` record alone: ``off`` after ``unreadable`` is OFF, ``unreadable`` after ``off``
is ON.

Why a tombstone means ON: nothing of ours writes one, so it is an operator's or an attacker's
mistake, and a switch whose state was deleted is not known to be off. Resuming is a decision
with a name and a reason on it (``memesnipe resume --by --reason`` or the cockpit), never a
side effect of a deletion. Caveat: once ``delete.retention.ms`` (broker default 24 h) has passed,
compaction may drop the tombstone with every record before it; a reader started after that sees
an empty topic (OFF). Resume with ``active=false``, never by deleting the key.

Flatten is asked only by a readable active record with ``flatten=true``: an unreadable record or
a tombstone pauses entries but never sells everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from memesnipe.streams.codec import WireLimits, decode_record
from memesnipe.streams.control import KillSwitch

KILL_KEY = "global"
"""The only key of the killswitch topic (``topics.FIXED_KEYS``)."""
KILL_KEY_BYTES = KILL_KEY.encode()

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Record = tuple[bytes | str | None, bytes | str | None, int, int]
"""(key, value, partition, offset) of one killswitch record."""


@dataclass(frozen=True, slots=True)
class KillStatus:
    """The answer of the fold: whether entries are paused, and why."""

    active: bool
    ready: bool
    reason: str
    by: str = ""
    ts: datetime = EPOCH
    source: str = "not_ready"  # not_ready | never_set | record | unreadable | tombstone
    message: KillSwitch | None = None  # the readable record the answer comes from, if any
    position: tuple[int, int] | None = None  # (partition, offset) of that record

    @property
    def flatten(self) -> bool:
        return self.message is not None and self.message.active and self.message.flatten

    def flatten_reason(self) -> str:
        """Why to close every position now ("" = do not): a readable active record with flatten."""
        if self.message is None or not self.flatten:
            return ""
        return f"kill switch by {self.message.by}: {self.message.reason or 'no reason given'}"

    def as_message(self) -> KillSwitch | None:
        """This answer as a KillSwitch (the risk gate's rules take one); None = never set."""
        if self.message is not None:
            return self.message
        if self.source == "never_set":
            return None
        return KillSwitch(active=self.active, ts=self.ts, by=self.by, reason=self.reason)

    def describe(self) -> str:
        """One line for a person (CLI, logs)."""
        if self.source == "never_set":
            return "kill switch: never set (trading allowed)"
        if self.source == "not_ready":
            return f"kill switch: UNKNOWN, treated as ON ({self.reason})"
        state = "ON (entries paused, exits allowed)" if self.active else "off (trading allowed)"
        m = self.message
        extra = " flatten requested;" if self.flatten else ""
        dd = f" drawdown {m.drawdown:.2%};" if m is not None and m.drawdown is not None else ""
        return f"kill switch: {state};{extra}{dd} by {self.by} at {self.ts.isoformat()}: {self.reason}"


NOT_READY = KillStatus(
    active=True, ready=False, reason="kill switch topic not read to its end yet", by="control"
)
NEVER_SET = KillStatus(active=False, ready=True, reason="never set", source="never_set")


@dataclass(slots=True)
class KillFold:
    """Fold killswitch records into one :class:`KillStatus` (see the module's table)."""

    limits: WireLimits | None = None  # the wire bounds (None: this process's settings)
    read_to_end: bool = False
    ignored_keys: int = 0
    unreadable: int = 0
    stale: int = 0
    _latest: KillStatus | None = field(default=None, repr=False)

    def apply(
        self,
        key: bytes | str | None,
        value: bytes | str | None,
        partition: int,
        offset: int,
        ts_ms: int | None = None,
    ) -> bool:
        """Fold one record; True when the answer changed."""
        k = key.encode("utf-8", "surrogatepass") if isinstance(key, str) else key
        if k != KILL_KEY_BYTES:
            self.ignored_keys += 1
            return False
        pos = (partition, offset)
        if self._latest is not None and self._latest.position is not None and pos <= self._latest.position:
            self.stale += 1
            return False
        before = self.status
        self._latest = self._read(value, pos, ts_ms)
        return self.status != before

    def _read(self, value: bytes | str | None, pos: tuple[int, int], ts_ms: int | None) -> KillStatus:
        at = f"[{pos[0]}]@{pos[1]}"
        when = datetime.fromtimestamp(ts_ms / 1000, UTC) if ts_ms is not None else EPOCH
        if value is None:
            return KillStatus(
                active=True,
                ready=True,
                reason=f"killswitch tombstone at {at} (state unknown): resume with an active=false record",
                by="control",
                ts=when,
                source="tombstone",
                position=pos,
            )
        try:
            msg = decode_record(value, KillSwitch, topic="killswitch", key=KILL_KEY_BYTES, limits=self.limits)
        except Exception as exc:  # DecodeError, and anything else (RecursionError, ...): fail closed
            self.unreadable += 1
            why = str(exc) or type(exc).__name__
            return KillStatus(
                active=True,
                ready=True,
                reason=f"undecodable killswitch message at {at}: {why}"[:500],
                by="control",
                ts=when,
                source="unreadable",
                position=pos,
            )
        return KillStatus(
            active=msg.active,
            ready=True,
            reason=msg.reason,
            by=msg.by,
            ts=msg.ts,
            source="record",
            message=msg,
            position=pos,
        )

    def mark_read_to_end(self) -> bool:
        """The reader has read every partition up to the end offsets it saw at start."""
        before = self.status
        self.read_to_end = True
        return self.status != before

    @property
    def status(self) -> KillStatus:
        if not self.read_to_end:
            return NOT_READY
        if self._latest is None:
            return NEVER_SET
        return self._latest

    @property
    def active(self) -> bool:
        return self.status.active


def fold_kill(
    records: Iterable[Record], *, read_to_end: bool = True, limits: WireLimits | None = None
) -> KillStatus:
    """The answer for ``records`` (key, value, partition, offset), in the order given."""
    fold = KillFold(limits=limits)
    for key, value, partition, offset in records:
        fold.apply(key, value, partition, offset)
    if read_to_end:
        fold.mark_read_to_end()
    return fold.status
