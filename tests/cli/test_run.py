"""``memesnipe run`` / ``replay`` supervise their children in separate sessions: a SIGTERM to the
supervisor (a service manager, ``docker stop``) must stop them too, not leave them trading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

SUPERVISOR = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from memesnipe.cli.run import Children

    kids = Children(Path(sys.argv[1]))
    try:
        kids.start("sleeper", ["http.server", "0"])
        print("started", kids.procs[0][1].pid, flush=True)
        while True:
            time.sleep(0.1)
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        kids.stop()
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of an exited child still answers; its state says it is gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_sigterm_to_the_supervisor_stops_its_children(tmp_path: Path) -> None:
    sup = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert sup.stdout is not None
        line = sup.stdout.readline()
        while not line.startswith("started"):  # after Children's own "run: started ..." line
            line = sup.stdout.readline()
        child = int(line.split()[-1])
        assert _alive(child)
        sup.send_signal(signal.SIGTERM)
        sup.wait(30)
        assert "stopping" in sup.stdout.read()
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the child outlived its supervisor"
    finally:
        if sup.poll() is None:
            sup.kill()
