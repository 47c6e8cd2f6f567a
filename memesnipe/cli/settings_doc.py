"""``memesnipe settings env-example``: ``.env.example`` generated from the settings models.

Every field of :class:`~memesnipe.settings.Settings` and of each nested group, in model order,
as ``MEMESNIPE_<GROUP>__<FIELD>=<default>`` under its ``description``; each group's docstring is
its section header. Secrets (a name containing secret/token/key/password, or a ``SecretStr``)
are written empty; a secret with a built-in default is written commented out, so the default
applies. Old names of merged settings (``settings.RENAMED``) close the file, commented out.
``tests/test_env_example.py`` fails when the checked-in file differs from this output.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import textwrap
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from memesnipe.settings import ENV_PREFIX, RENAMED, Settings

WIDTH = 100
SECRET_WORDS = ("secret", "token", "key", "password")

HEADER = """\
MemeSnipe settings: every variable, its default and what it does. GENERATED from
memesnipe/settings.py by `memesnipe settings env-example > .env.example`: do not edit by hand,
document a setting with Field(description=...) instead (CI compares this file to the output).
Copy to .env and edit; environment variables override .env. Prefix MEMESNIPE_; nested groups
use a double underscore. A bad value stops start-up with a message naming the setting.
Secrets are empty here: set them in .env or the environment."""

PROCESS_LEVEL: dict[str, str] = {
    "MEMESNIPE_TEST_KAFKA": "tests only: host:port of the integration tests' Kafka broker",
    "MEMESNIPE_TEST_PROCESSES": "scripts/test.sh only: pytest-xdist processes (0 = one process)",
}
"""MEMESNIPE_ variables read outside the settings models, with the reason; everything else must be
a model field (tests/test_env_example.py)."""


def is_secret(name: str, field: FieldInfo) -> bool:
    return field.annotation is SecretStr or any(word in name.lower() for word in SECRET_WORDS)


def env_value(value: Any) -> str:
    """A default as the environment spells it (what pydantic-settings parses back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, SecretStr):
        return ""
    return str(value)


def comment(text: str) -> list[str]:
    out: list[str] = []
    for para in inspect.cleandoc(text).replace("``", "`").split("\n\n"):
        joined = " ".join(para.split())
        out += ["# " + line for line in textwrap.wrap(joined, WIDTH - 2, break_on_hyphens=False)]
    return out


def group_lines(model: type[BaseModel], prefix: str, title: str) -> list[str]:
    lines = [f"# --- {title} " + "-" * max(3, WIDTH - 7 - len(title))]
    if model.__doc__:
        lines += comment(model.__doc__)
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            continue
        var = f"{prefix}{name.upper()}"
        if field.description:
            lines += comment(field.description)
        value = env_value(field.get_default(call_default_factory=True))
        if is_secret(name, field):
            lines.append(f"# {var}=" if value else f"{var}=")
        else:
            lines.append(f"{var}={value}")
    return lines


def nested_groups(model: type[BaseModel]) -> list[tuple[str, type[BaseModel]]]:
    return [
        (name, field.annotation)
        for name, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    ]


def render(settings: type[Settings] = Settings) -> str:
    """The whole ``.env.example`` text."""
    lines = [*comment(HEADER), ""]
    lines += group_lines(settings, ENV_PREFIX, "process")
    for name, model in nested_groups(settings):
        lines += ["", *group_lines(model, f"{ENV_PREFIX}{name.upper()}__", name)]
    lines += ["", *renamed_lines()]
    return "\n".join(lines) + "\n"


def renamed_lines() -> list[str]:
    title = "renamed"
    lines = [f"# --- {title} " + "-" * max(3, WIDTH - 7 - len(title))]
    lines += comment(
        "Old names of settings merged into one: still read, with a warning; set together with the "
        "new name to a different value, start-up stops. Use the new name."
    )
    return lines + [f"# {old} -> {new}" for old, new in RENAMED.items()]


def variables(settings: type[Settings] = Settings) -> set[str]:
    """Every MEMESNIPE_ variable the models read."""
    names = {
        ENV_PREFIX + name.upper()
        for name, field in settings.model_fields.items()
        if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel))
    }
    for group, model in nested_groups(settings):
        names |= {f"{ENV_PREFIX}{group.upper()}__{name.upper()}" for name in model.model_fields}
    return names


def _env_example(args: argparse.Namespace) -> None:
    text = render()
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("settings", help="settings documentation (.env.example)")
    inner = p.add_subparsers(dest="settings_command", required=True, metavar="SUBCOMMAND")
    env = inner.add_parser("env-example", help="print .env.example generated from the settings models")
    env.add_argument("-o", "--output", default=None, help="write to this file instead of stdout")
    env.set_defaults(func=_env_example)
