"""Compose's variable interpolation (compose-spec interpolation.md), for tests without Docker:
``$NAME``, ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``${NAME:?error}``,
``${NAME?error}``, ``${NAME:+alt}``, ``${NAME+alt}`` and ``$$`` for a literal ``$``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TOKEN = re.compile(r"\$(?:(?P<dollar>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?$", re.S)


class MissingVariable(Exception):
    """A ``${NAME:?message}`` (or ``?``) whose variable is unset: Compose stops with this."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"required variable {name} is missing a value: {message}")
        self.name = name


def references(text: str) -> list[tuple[str, str, str]]:
    """Every ``(name, operator, argument)`` referenced in ``text``."""
    out = []
    for m in TOKEN.finditer(text):
        if m.group("named"):
            out.append((m.group("named"), "", ""))
        elif m.group("braced") is not None:
            b = BRACED.match(m.group("braced"))
            if not b:
                raise ValueError(f"invalid interpolation: ${{{m.group('braced')}}}")
            out.append((b.group("name"), b.group("op") or "", b.group("arg") or ""))
    return out


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` (a parsed compose file or any part of it) with every variable substituted."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        if m.group("dollar"):
            return "$"
        if m.group("named"):
            return env.get(m.group("named"), "")
        b = BRACED.match(m.group("braced"))
        if not b:
            raise ValueError(f"invalid interpolation: ${{{m.group('braced')}}}")
        name, op, arg = b.group("name"), b.group("op") or "", b.group("arg") or ""
        current = env.get(name)
        unset_or_empty = not current if op.startswith(":") else current is None
        if op.endswith("-"):
            return arg if unset_or_empty else str(current)
        if op.endswith("?"):
            if unset_or_empty:
                raise MissingVariable(name, arg)
            return str(current)
        if op.endswith("+"):
            return "" if unset_or_empty else arg
        return current or ""

    return TOKEN.sub(sub, value)
