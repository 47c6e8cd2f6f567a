"""A Faust worker running only the risk gate and the router (the two stages that obey the kill
switch), for the control-plane integration test: ``python -m tests.integration.control_worker``."""

from __future__ import annotations

import sys

from memesnipe.app import app

MODULES = ["memesnipe.agents.risk_gate", "memesnipe.agents.router"]

if __name__ == "__main__":
    app.conf.autodiscover = MODULES
    sys.argv = ["memesnipe", "worker", "-l", "info", "--without-web"]
    app.main()
