"""The ids already sent, per channel: one line per id in a small append-only file, fsync'd
after each id, so a restarted notifier does not send again what it sent (the Kafka offset
commit comes after, and a crash between the two re-reads the record). Bounded: the newest
``keep`` ids are kept; the file is rewritten when it holds twice that."""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path


class SentLog:
    def __init__(self, path: Path, keep: int = 20_000) -> None:
        self.path, self.keep = path, keep
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        self._order: deque[str] = deque((ln for ln in lines if ln), maxlen=keep)
        self._ids = set(self._order)
        self._lines = len(lines)
        self._fh = path.open("a", encoding="utf-8")

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, key: str) -> None:
        if key in self._ids:
            return
        if len(self._order) == self.keep:
            self._ids.discard(self._order[0])
        self._order.append(key)
        self._ids.add(key)
        self._fh.write(key.replace("\n", " ") + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._lines += 1
        if self._lines >= 2 * self.keep:
            self._compact()

    def _compact(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(k + "\n" for k in self._order), encoding="utf-8")
        self._fh.close()
        os.replace(tmp, self.path)
        self._fh = self.path.open("a", encoding="utf-8")
        self._lines = len(self._order)

    def close(self) -> None:
        self._fh.close()
