"""Entry point for integration tests: a Faust worker that loads ONLY the strategy runner agent.

``python -m tests.agents.test_strategy_runner_worker worker -l info`` — the runner's tests then
do not depend on other pipeline stages being present. (No tests in this module.)
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from memesnipe import app as app_module

    only = ["memesnipe.agents.strategy_runner"]
    app_module.AGENT_MODULES[:] = only  # the app's conf may hold this very list
    app = app_module.app
    app.conf.autodiscover = only
    # Faust also scans the origin package for agents (and its CLI sets one when it is None)
    app.conf.origin = only[0]
    sys.argv = ["memesnipe", *sys.argv[1:]]
    app.main()
