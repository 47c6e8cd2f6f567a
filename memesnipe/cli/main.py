"""The ``memesnipe`` command. Each subcommand lives in its own module listed in COMMANDS,
which exposes ``register(subparsers)`` and sets ``func`` on its parser."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = [
    "memesnipe.cli.worker",
    "memesnipe.cli.run",
    "memesnipe.cli.simulate",
    "memesnipe.cli.topics",
    "memesnipe.cli.replay",
    "memesnipe.cli.backtest",
    "memesnipe.cli.report",
    "memesnipe.cli.analytics",
    "memesnipe.cli.connect",
    "memesnipe.cli.record",
    "memesnipe.cli.strategies",
    "memesnipe.cli.signer",
    "memesnipe.cli.control",
    "memesnipe.cli.preflight",
    "memesnipe.cli.rehearse",
    "memesnipe.cli.notify",
    "memesnipe.cli.reconcile",
    "memesnipe.cli.settings_doc",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="memesnipe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module
                raise
            print(f"memesnipe: command module {name} is not installed; skipping", file=sys.stderr)
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `memesnipe worker ...` is Faust's own worker CLI, untouched.
    if argv and argv[0] == "worker":
        from memesnipe.cli.worker import run_faust_worker

        run_faust_worker(argv[1:])
        return
    parser = build_parser()
    args = parser.parse_args(argv)
    rc = args.func(args)
    raise SystemExit(rc or 0)
