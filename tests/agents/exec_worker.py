"""A Faust worker running only the execution agents (router, fills, submitter), for integration
tests that must not depend on the other stages: ``python -m tests.agents.exec_worker``."""

from __future__ import annotations

import importlib.util
import sys

from memesnipe.app import app

MODULES = [
    m
    for m in ("memesnipe.agents.router", "memesnipe.agents.fills", "memesnipe.agents.submitter")
    if importlib.util.find_spec(m) is not None
]

if __name__ == "__main__":
    app.conf.autodiscover = MODULES
    sys.argv = ["memesnipe", "worker", "-l", "info", "--without-web"]
    app.main()
