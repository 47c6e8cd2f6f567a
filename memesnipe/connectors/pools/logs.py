"""Which program said what: a transaction's ``Program log:`` lines attributed to the program
that was executing (the runtime's ``Program <id> invoke [n]`` / ``success`` / ``failed`` lines
frame each invocation), so one program cannot pass for another by logging the same text."""

from __future__ import annotations

import re
from collections.abc import Sequence

_INVOKE = re.compile(r"^Program (\w+) invoke \[(\d+)\]$")
_DONE = re.compile(r"^Program (\w+) (success|failed.*)$")
LOG = "Program log: "


def program_lines(logs: Sequence[str], program: str, prefix: str) -> list[str]:
    """The lines starting with ``prefix`` that ``program`` itself wrote, prefix removed, in order."""
    stack: list[str] = []
    out: list[str] = []
    for line in logs:
        m = _INVOKE.match(line)
        if m:
            del stack[int(m.group(2)) - 1 :]
            stack.append(m.group(1))
            continue
        m = _DONE.match(line)
        if m and stack and stack[-1] == m.group(1):
            stack.pop()
            continue
        if line.startswith(prefix) and stack and stack[-1] == program:
            out.append(line[len(prefix) :])
    return out


def program_logs(logs: Sequence[str], program: str) -> list[str]:
    """The ``Program log:`` messages ``program`` itself wrote, prefix removed, in order."""
    return program_lines(logs, program, LOG)
