"""Run a module as ``__main__`` under a Python audit hook that records every open of the
watched paths: ``python -m tests.signer.audit_open <module> [args...]`` with
AUDIT_OPEN_WATCH (paths, os.pathsep-separated) and AUDIT_OPEN_LOG (where to append hits).

The "open" audit event is raised by builtins.open, io.open and os.open, so any Python code
in the process (ours or a library's) that opens the key file is caught with its pid."""

from __future__ import annotations

import os
import runpy
import sys
from typing import Any


def main() -> None:
    watched = {os.path.realpath(p) for p in os.environ["AUDIT_OPEN_WATCH"].split(os.pathsep) if p}
    out = open(os.environ["AUDIT_OPEN_LOG"], "a", buffering=1)  # noqa: SIM115 - lives with the process
    pid = os.getpid()

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or isinstance(args[0], int):
            return
        try:
            path = os.path.realpath(os.fsdecode(args[0]))
        except Exception:
            return
        if path in watched:
            out.write(f"{pid} {path}\n")

    sys.addaudithook(hook)
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
