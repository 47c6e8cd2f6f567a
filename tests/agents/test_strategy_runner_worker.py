"""Entry point for integration tests: a Faust worker that loads ONLY the strategy runner agent.

``python -m tests.agents.test_strategy_runner_worker worker -l info`` — the runner's tests then
do not depend on other pipeline stages being present. (No tests in this module.)
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from memesnipe.app import app

    app.conf.autodiscover = ["memesnipe.agents.strategy_runner"]
    sys.argv = ["memesnipe", *sys.argv[1:]]
    app.main()
