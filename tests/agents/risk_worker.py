"""A Faust worker running only the risk agents (gate, allocator, portfolio monitor), for
integration tests that must not depend on other stages: ``python -m tests.agents.risk_worker``.
``MEMESNIPE_TEST_AGENTS`` (comma-separated modules) adds stages, e.g. the router and fills."""

from __future__ import annotations

import importlib.util
import os
import sys

from memesnipe.app import app

WANTED = [
    "memesnipe.agents.risk_gate",
    "memesnipe.agents.ledger",
    "memesnipe.agents.allocator",
    "memesnipe.agents.portfolio_monitor",
    *[m for m in os.environ.get("MEMESNIPE_TEST_AGENTS", "").split(",") if m],
]
if os.environ.get("MEMESNIPE_TEST_ONLY"):  # exactly these modules, e.g. the gate alone
    WANTED = os.environ["MEMESNIPE_TEST_ONLY"].split(",")
MODULES = [m for m in WANTED if importlib.util.find_spec(m) is not None]

if __name__ == "__main__":
    if os.environ.get("MEMESNIPE_TEST_ONLY"):
        # The worker's own discovery also scans conf.origin (the whole memesnipe package);
        # import exactly the listed agents here and switch discovery off.
        app.conf.autodiscover = MODULES
        app.conf.origin = None
        app.discover()
        app.conf.autodiscover = False
    else:
        app.conf.autodiscover = MODULES
    sys.argv = ["memesnipe", "worker", "-l", "info", "--without-web"]
    app.main()
