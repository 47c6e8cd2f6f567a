""".env.example is generated from the settings models (``memesnipe settings env-example``), and every
MEMESNIPE_ variable the code reads is a model field, listed as process-level, or an old name of one
(``settings.RENAMED``, read as the new one)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from memesnipe.cli.settings_doc import PROCESS_LEVEL, render, variables
from memesnipe.settings import ENV_PREFIX, RENAMED, Settings

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\bMEMESNIPE_[A-Z0-9_]*[A-Z0-9]\b")


def test_checked_in_env_example_is_the_generators_output() -> None:
    assert (REPO / ".env.example").read_text() == render(), (
        ".env.example is stale: run `memesnipe settings env-example -o .env.example`"
    )


def test_every_setting_is_in_the_file_and_it_loads_back_to_the_defaults() -> None:
    text = render()
    written = {line.lstrip("# ").split("=", 1)[0] for line in text.splitlines() if "=" in line}
    assert variables() <= written
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        loaded = Settings(_env_file=str(REPO / ".env.example"))  # type: ignore[call-arg]
        assert loaded.model_dump() == Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_secrets_are_empty() -> None:
    for line in render().splitlines():
        name, sep, value = line.lstrip("# ").partition("=")
        if sep and name.startswith(ENV_PREFIX) and re.search(r"SECRET|TOKEN|KEY|PASSWORD", name):
            assert value == "", line


def test_every_memesnipe_variable_read_is_a_setting_or_process_level() -> None:
    known = variables() | set(PROCESS_LEVEL) | set(RENAMED)
    unknown: dict[str, set[str]] = {}
    for path in [*(REPO / "memesnipe").rglob("*.py"), *(REPO / "scripts").glob("*")]:
        if not path.is_file():
            continue
        for name in NAME.findall(path.read_text(errors="replace")):
            if name not in known and not any(k.startswith(name + "_") for k in known):
                unknown.setdefault(name, set()).add(str(path.relative_to(REPO)))
    assert not unknown, f"not a settings field nor in settings_doc.PROCESS_LEVEL: {unknown}"


def test_cli_prints_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "memesnipe", "settings", "env-example"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == render()
