"""Migrations: versioned, applied once, refused when an applied file changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from memesnipe.sinks.client import Store, StoreError
from memesnipe.sinks.migrate import applied, load_migrations, migrate
from memesnipe.sinks.rows import TABLES


def test_every_migration_is_recorded_once_and_a_rerun_applies_nothing(store: Store) -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    assert sorted(applied(store)) == versions  # the fixture applied them all
    assert migrate(store) == []
    assert migrate(store) == []
    rows = store.rows("SELECT version, count() AS n FROM memesnipe.schema_migrations GROUP BY version")
    assert {r["version"]: r["n"] for r in rows} == dict.fromkeys(versions, 1)


def test_every_table_the_sink_writes_exists_with_its_columns(store: Store) -> None:
    for table in TABLES.values():
        cols = store.rows(
            "SELECT name FROM system.columns WHERE database = 'memesnipe' AND table = {t:String}",
            {"t": table.name},
        )
        assert {c["name"] for c in cols} == set(table.columns), table.name


def test_tables_are_replacing_merge_trees_partitioned_by_month(store: Store) -> None:
    rows = store.rows(
        "SELECT name, engine, partition_key, sorting_key FROM system.tables WHERE database = 'memesnipe'"
    )
    by_name = {r["name"]: r for r in rows}
    for name in TABLES:
        assert by_name[name]["engine"] == "ReplacingMergeTree", name
        assert by_name[name]["partition_key"].startswith("toYYYYMM("), name
        assert by_name[name]["sorting_key"].startswith("run_id"), name


def _copy_migrations(dst: Path) -> Path:
    dst.mkdir()
    for m in load_migrations():
        (dst / f"{m.version:04d}_{m.name}.sql").write_text(m.sql)
    return dst


def test_a_new_migration_file_is_applied_on_the_next_start(store: Store, tmp_path: Path) -> None:
    mdir = _copy_migrations(tmp_path / "mig")
    (mdir / "0099_extra.sql").write_text(
        "CREATE TABLE IF NOT EXISTS {db}.extra (run_id String, x UInt8) ENGINE = MergeTree ORDER BY run_id;"
    )
    assert migrate(store, mdir) == [99]
    assert migrate(store, mdir) == []
    assert store.rows("EXISTS TABLE memesnipe.extra")[0]["result"] == 1


def test_an_edited_applied_migration_stops_start_up(store: Store, tmp_path: Path) -> None:
    mdir = _copy_migrations(tmp_path / "mig")
    first = sorted(mdir.iterdir())[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(StoreError, match="changed after it was applied"):
        migrate(store, mdir)


def test_two_files_with_one_version_are_refused(tmp_path: Path) -> None:
    mdir = tmp_path / "mig"
    mdir.mkdir()
    (mdir / "0001_a.sql").write_text("SELECT 1;")
    (mdir / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(StoreError, match="two migrations with version 1"):
        load_migrations(mdir)


def test_a_database_name_that_is_not_an_identifier_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="DATABASE"):
        Store(None, "x; DROP TABLE y")  # type: ignore[arg-type]
