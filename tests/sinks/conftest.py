"""A real embedded chDB per test (its own directory, migrated), closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memesnipe.sinks.client import Store
from memesnipe.sinks.migrate import migrate


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"chdb://{tmp_path / 'ch'}", "memesnipe")
    migrate(s)
    try:
        yield s
    finally:
        s.close()
