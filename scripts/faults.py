"""The fault suite at full size: a clean run and a faulted run of the same seeded market through
the whole paper pipeline (each on its own private Kafka broker), compared exactly once.

    .venv/bin/python scripts/faults.py --events 20000 --seed 3 --scenario scheduled
    .venv/bin/python scripts/faults.py --events 20000 --seed 3 --scenario random
    .venv/bin/python scripts/faults.py --events 20000 --seed 3 --scenario both

The last lines are the figures of each faulted run: events, signals, orders, signed, fills,
ClickHouse fills, lost and duplicated within the run (must be 0), and the ids missing, extra or
differing against the clean run. Exit status 1 when a run is not exactly once, 2 when it is but
differs from the clean run. ``--scenario clean`` compares two clean runs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.harness import RunConfig, run_suite


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=3, help="the market's seed, and the random faults' seed")
    ap.add_argument("--scenario", choices=["scheduled", "random", "both", "clean"], default="both")
    ap.add_argument(
        "--rate", type=float, default=0.0, help="events/s of the faulted feed (default: events/150)"
    )
    ap.add_argument(
        "--clean-rate",
        type=float,
        default=None,
        help="events/s of the clean run (default --rate; 0: max speed)",
    )
    ap.add_argument("--mints", type=int, default=8)
    ap.add_argument("--parallel", action="store_true", help="run the clean and faulted runs at the same time")
    ap.add_argument("--keep", metavar="DIR", help="run under DIR and keep logs and broker data")
    args = ap.parse_args(argv)

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="memesnipe-faults-"))
    base.mkdir(parents=True, exist_ok=True)
    rate = args.rate or max(20.0, args.events / 150.0)
    scenarios = ["scheduled", "random"] if args.scenario == "both" else [args.scenario]
    t0 = time.monotonic()
    cfg = RunConfig(args.events, args.seed, rate, args.mints)
    clean, results = run_suite(
        base,
        cfg,
        scenarios,
        clean_rate=rate if args.clean_rate is None else args.clean_rate,
        parallel=args.parallel,
        keep=bool(args.keep),
    )
    status = 0
    print(f"# python scripts/faults.py --events {args.events} --seed {args.seed} --scenario {args.scenario}")
    print(f"# base {base}; total {time.monotonic() - t0:.0f}s; clean run {clean.seconds:.0f}s")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    failed = [(sc, got) for sc, got, _ in results if isinstance(got, BaseException)]
    results = [r for r in results if not isinstance(r[1], BaseException)]
    for sc, exc in failed:
        print(f"# {sc}: the run failed: {exc!r}")
        status = 1
    for sc, got, report in results:
        for line in got.history:
            print(f"# {sc}: {line}")
        for line in report.lines()[:-1]:
            print(f"# {sc}: {line}")
        if not report.exactly_once:
            status = 1
        elif not report.equal_to_clean:
            status = max(status, 2)
    for sc, got, report in results:
        print(f"{sc} ({got.seconds:.0f}s): {report.lines()[-1]}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
