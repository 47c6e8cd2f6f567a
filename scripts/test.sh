#!/usr/bin/env bash
# Set up (idempotent), start Kafka if it is not running, run unit + integration tests, stop
# what we started. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
. .venv/bin/activate
started=0
if ! deploy/kafka-local.sh status >/dev/null 2>&1; then deploy/kafka-local.sh start; started=1; fi
cleanup() { if [ "$started" = 1 ]; then deploy/kafka-local.sh stop || true; fi; }
trap cleanup EXIT
set +e
# Two processes, a test file each at a time (--dist loadfile keeps a file's fixtures and its
# private brokers together): most integration tests wait on Kafka and subprocesses, so two
# processes fit the suite in ~19 min on this 2-core machine (measured while it was shared);
# MEMESNIPE_TEST_PROCESSES=0 runs it in one process.
python -m pytest -q -p no:cacheprovider -n "${MEMESNIPE_TEST_PROCESSES:-2}" --dist loadfile "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "test: pytest collected no tests" >&2; exit 1; fi
exit "$rc"
