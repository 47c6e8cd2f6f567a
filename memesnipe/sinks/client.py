"""One ClickHouse client for the sink, the query layer and the report.

``chdb:///abs/path`` opens embedded chDB (one process per directory: chDB locks it);
``http(s)://user:pass@host:8123/db`` (or ``clickhouse://``, read as http) talks to a server.
Both are clickhouse-connect clients with the same API, so every caller uses one code path.
clickhouse-connect is synchronous: callers run it in a thread, and :class:`Store` serializes
use of the client with a lock (a chDB connection and an HTTP session are not safe to share).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

_READ_SETTINGS = {"do_not_merge_across_partitions_select_final": 1}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class StoreError(RuntimeError):
    """ClickHouse could not be opened or used; the message says what to do."""


def is_embedded(dsn: str) -> bool:
    return dsn.startswith("chdb:")


def chdb_path(dsn: str) -> Path | None:
    """The directory of an embedded chDB DSN, or None for a server."""
    if not is_embedded(dsn):
        return None
    return Path(urlparse(dsn).path)


def check_identifier(name: str) -> str:
    """Database names go into DDL text, so only plain identifiers are accepted."""
    if not _IDENT.match(name):
        raise StoreError(f"MEMESNIPE_CLICKHOUSE__DATABASE: {name!r} is not a plain identifier")
    return name


def open_client(dsn: str) -> Client:
    """A clickhouse-connect client for a chDB path or a server URL."""
    try:
        if is_embedded(dsn):
            path = chdb_path(dsn)
            if path is None or not path.is_absolute():
                raise StoreError(f"MEMESNIPE_CLICKHOUSE__DSN: {dsn!r} must be chdb:///absolute/path")
            path.mkdir(parents=True, exist_ok=True)
            return clickhouse_connect.get_client(dsn=f"chdb://{path}")
        if dsn.startswith("clickhouse://"):
            dsn = "http://" + dsn[len("clickhouse://") :]
        return clickhouse_connect.get_client(dsn=dsn, connect_timeout=5, send_receive_timeout=60)
    except StoreError:
        raise
    except Exception as exc:
        hint = " (is another memesnipe process holding this chDB directory?)" if is_embedded(dsn) else ""
        raise StoreError(f"cannot open ClickHouse at {dsn!r}: {exc}{hint}") from exc


class Store:
    """A client plus the database name, with every call serialized by a lock."""

    def __init__(self, client: Client, database: str) -> None:
        self.client = client
        self.database = check_identifier(database)
        self.lock = threading.Lock()
        self._insert_contexts: dict[tuple[str, tuple[str, ...]], Any] = {}

    @classmethod
    def open(cls, dsn: str, database: str) -> Store:
        return cls(open_client(dsn), database)

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        with self.lock:
            return self.client.command(sql, parameters=parameters)

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts (column name -> value).

        FINAL is applied per partition: a row's duplicates always share its partition (same
        event time), and it is several times faster on a large table.
        """
        with self.lock:
            result = self.client.query(sql, parameters=parameters, settings=_READ_SETTINGS)
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def tuples(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return plain row tuples (the fast path for large reads)."""
        with self.lock:
            result = self.client.query(sql, parameters=parameters, settings=_READ_SETTINGS)
        return cast(list[tuple[Any, ...]], result.result_rows)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows into ``<database>.<table>``, reusing the insert context per table."""
        key = (table, tuple(columns))
        with self.lock:
            ctx = self._insert_contexts.get(key)
            if ctx is None:
                ctx = self.client.create_insert_context(
                    table=table, database=self.database, column_names=list(columns)
                )
                self._insert_contexts[key] = ctx
            ctx.data = rows
            try:
                self.client.insert(context=ctx)
            finally:
                ctx.data = None

    def close(self) -> None:
        with self.lock:
            self.client.close()
