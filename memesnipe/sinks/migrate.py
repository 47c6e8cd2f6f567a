"""Versioned, idempotent schema migrations, applied at start-up.

Migrations are ``migrations/NNNN_name.sql`` files (``{db}`` stands for the database), applied
in version order. ``<db>.schema_migrations`` records each applied version with the file's
checksum: an applied version is never run again, and an applied file whose text changed stops
start-up (write a new migration instead of editing an old one). Statements use IF NOT EXISTS,
so a crash between a statement and its record is safe to re-run.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from memesnipe.sinks.client import Store, StoreError

log = logging.getLogger(__name__)

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self, database: str) -> list[str]:
        text = "\n".join(line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        return [s.strip().replace("{db}", database) for s in text.split(";") if s.strip()]


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Every migration file, in version order; versions must be unique."""
    root = directory or Path(str(resources.files("memesnipe.sinks") / "migrations"))
    found: dict[int, Migration] = {}
    for path in sorted(root.iterdir()):
        m = _FILE.match(path.name)
        if not m:
            continue
        version = int(m.group(1))
        if version in found:
            raise StoreError(f"two migrations with version {version}: {found[version].name}, {m.group(2)}")
        found[version] = Migration(version, m.group(2), path.read_text())
    return [found[v] for v in sorted(found)]


def applied(store: Store) -> dict[int, str]:
    """Applied versions and their checksums."""
    rows = store.rows(f"SELECT version, checksum FROM {store.database}.schema_migrations FINAL")
    return {int(r["version"]): r["checksum"] for r in rows}


def migrate(store: Store, directory: Path | None = None) -> list[int]:
    """Apply pending migrations; return the versions applied now (empty when up to date)."""
    db = store.database
    store.command(f"CREATE DATABASE IF NOT EXISTS {db}")
    store.command(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations (version UInt32, name String, "
        "checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = ReplacingMergeTree(applied_at) ORDER BY version"
    )
    done = applied(store)
    now: list[int] = []
    for mig in load_migrations(directory):
        if mig.version in done:
            if done[mig.version] != mig.checksum:
                raise StoreError(
                    f"migration {mig.version:04d}_{mig.name}.sql changed after it was applied to {db}; "
                    "add a new migration instead of editing an applied one"
                )
            continue
        for stmt in mig.statements(db):
            store.command(stmt)
        store.insert(
            "schema_migrations", ["version", "name", "checksum"], [[mig.version, mig.name, mig.checksum]]
        )
        log.info("applied migration %04d_%s to %s", mig.version, mig.name, db)
        now.append(mig.version)
    return now
