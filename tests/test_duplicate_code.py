"""Duplicate code holds the line: pylint's duplicate-code check over memesnipe/ finds no more
duplicated blocks than :data:`MAX_DUPLICATED_BLOCKS` (the count when the check was added).

A new copy of a hard thing fails here with the blocks pylint found. Removing a duplicate: lower
the number, so the line moves with it. Defaults of pylint's similarity checker (at least 4 equal
lines, comments, docstrings, imports and signatures ignored).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MAX_DUPLICATED_BLOCKS = 23
"""29 before issue #14's work began (commit 2fc5e49); 25 when this check was added (e124068)."""


def duplicated_blocks() -> tuple[int, str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pylint",
            "--disable=all",
            "--enable=duplicate-code",
            "--score=n",
            "memesnipe",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    return len(re.findall(r"Similar lines in \d+ files", out.stdout)), out.stdout


def test_no_more_duplicated_blocks_than_the_line_holds() -> None:
    n, report = duplicated_blocks()
    assert n <= MAX_DUPLICATED_BLOCKS, (
        f"{n} duplicated blocks in memesnipe/ (pylint duplicate-code), at most {MAX_DUPLICATED_BLOCKS}: "
        f"write the new one once instead\n{report[-6000:]}"
    )
