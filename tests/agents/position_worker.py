"""A Faust worker running only the position manager, for integration tests that must not depend
on the other stages: ``python -m tests.agents.position_worker``."""

from __future__ import annotations

import sys

from memesnipe.app import app

if __name__ == "__main__":
    app.conf.autodiscover = ["memesnipe.agents.position_manager"]
    # Faust also scans the whole origin package (memesnipe: every agent); narrow it to ours
    app.conf.origin = "memesnipe.agents.position_manager"
    sys.argv = ["memesnipe", "worker", "-l", "info", "--without-web"]
    app.main()
