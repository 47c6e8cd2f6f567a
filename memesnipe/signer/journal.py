"""The signer's durable memory: every authenticated decision, and the day's spend.

An append-only JSON-lines file under the signer's own data directory. Each line holds the
request id, the request's HMAC (its content fingerprint), the UTC day, the spend booked and the
exact result bytes that were published. The worker appends a batch's lines and fsyncs them
BEFORE publishing the results and committing offsets, so after any crash:

- a request whose line is on disk is answered from the journal (same bytes), never re-signed;
- a request whose line is not on disk was never published, so deciding it again is exact.

A torn last line (crash mid-write, never fsync'd, never published) is cut off at start-up; a
corrupt line elsewhere stops start-up (fail closed). An exclusive lock stops a second signer
from using the same journal.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

import msgspec


class JournalError(RuntimeError):
    """The journal cannot be used safely; the message says what to inspect."""


class JournalLine(msgspec.Struct, frozen=True):
    request_id: str
    hmac: str
    day: str
    spend: int
    status: str
    result: str  # the exact published ExecutionResult JSON
    source: str = ""
    tx_hash: str = ""  # sha256 of the request's tx_b64: the same transaction sent again
    tips: int = 0  # lamports tipped (entries and exits)
    fees: int = 0  # priority fee lamports (entries and exits)
    exit_fees: int = 0  # tips + fees of an exit (its own daily cap)


class DayTotals(msgspec.Struct):
    """A UTC day's ledger: entry spend, tips, priority fees, exits' tips + fees."""

    spend: int = 0
    tips: int = 0
    fees: int = 0
    exit_fees: int = 0

    def add(self, line: JournalLine) -> None:
        self.spend += line.spend
        self.tips += line.tips
        self.fees += line.fees
        self.exit_fees += line.exit_fees


@dataclass(slots=True)
class Entry:
    hmac: str
    tx_hash: str
    status: str
    offset: int  # byte offset of the line in the file; -1 while pending
    line: JournalLine | None  # kept while pending (not yet on disk)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(JournalLine)


class Journal:
    """Already-decided request ids and the daily spend ledger, recovered exactly on open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise JournalError(
                f"another signer holds the journal {path}; run one signer per data dir"
            ) from None
        self._index: dict[str, Entry] = {}
        self._days: dict[str, DayTotals] = {}
        self._pending: list[tuple[Entry, bytes]] = []
        self._size = 0
        self._recover()

    # -- recovery ---------------------------------------------------------------------------
    def _recover(self) -> None:
        """Replay the file line by line (bounded memory); cut a torn tail, refuse corruption."""
        pos = 0
        with open(self.path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):  # torn tail: never fsync'd as a whole, never published
                    os.ftruncate(self._fd, pos)
                    os.fsync(self._fd)
                    break
                try:
                    line = _decoder.decode(raw[:-1])
                except msgspec.DecodeError as exc:
                    raise JournalError(
                        f"journal {self.path} line {lineno} is corrupt ({exc}); inspect it"
                    ) from None
                self._apply(line, pos)
                pos += len(raw)
        self._size = pos

    def _apply(self, line: JournalLine, offset: int) -> None:
        self._index[line.request_id] = Entry(line.hmac, line.tx_hash, line.status, offset, None)
        self._book(line)

    def _book(self, line: JournalLine) -> None:
        if line.spend or line.tips or line.fees or line.exit_fees:
            self._days.setdefault(line.day, DayTotals()).add(line)

    # -- queries ----------------------------------------------------------------------------
    def get(self, request_id: str) -> Entry | None:
        return self._index.get(request_id)

    def spent(self, day: str) -> int:
        """Spend booked for a UTC day (YYYY-MM-DD), pending lines included."""
        return self.day(day).spend

    def day(self, day: str) -> DayTotals:
        """The day's ledger (pending lines included); a fresh zero ledger for an unseen day."""
        return self._days.get(day) or DayTotals()

    def result_bytes(self, entry: Entry) -> bytes:
        """The exact result bytes first published for this entry."""
        if entry.line is not None:
            return entry.line.result.encode()
        with open(self.path, "rb") as fh:
            fh.seek(entry.offset)
            raw = fh.readline()
        return _decoder.decode(raw.rstrip(b"\n")).result.encode()

    def __len__(self) -> int:
        return len(self._index)

    # -- writes -----------------------------------------------------------------------------
    def record(self, line: JournalLine) -> None:
        """Book a decision in memory now (so the same batch sees it); durable after ``flush``."""
        if line.request_id in self._index:
            raise JournalError(f"request_id {line.request_id!r} already journaled")
        entry = Entry(line.hmac, line.tx_hash, line.status, -1, line)
        self._index[line.request_id] = entry
        self._book(line)
        self._pending.append((entry, _encoder.encode(line) + b"\n"))

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Write and fsync the pending lines. Raises on I/O error: the caller must not publish."""
        if not self._pending:
            return
        blob = b"".join(raw for _, raw in self._pending)
        view = memoryview(blob)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        os.fsync(self._fd)
        offset = self._size
        for entry, raw in self._pending:
            entry.offset = offset
            entry.line = None
            offset += len(raw)
        self._size = offset
        self._pending.clear()

    def close(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
