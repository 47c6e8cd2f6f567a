"""``memesnipe worker``: Faust's own worker CLI for the app (same as ``faust -A memesnipe.app worker``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def run_faust_worker(args: Sequence[str]) -> None:
    from memesnipe.app import app

    sys.argv = ["memesnipe", "worker", *args]
    app.main()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="run a Faust worker (all of Faust's worker options apply)")
    p.set_defaults(func=lambda a: run_faust_worker([]))
