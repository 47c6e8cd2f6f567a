#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: Python venv with the project, Kafka jars, and (with
# --browser) Debian's Chromium for the dashboard test. Needs python3.11+, a JDK 17+ and mvn.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then "$py" -m venv .venv; fi
. .venv/bin/activate
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  pip install -q --upgrade pip
  pip install -q -e ".[dev]"
  # driftpy pins these exactly; other packages may pull newer ones.
  pip install -q "urllib3==1.26.13" "h11==0.14.0" 2>/dev/null || true
  touch "$stamp"
fi
deploy/kafka-local.sh fetch
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null; then
  if command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "setup: could not install chromium; browser tests will be skipped" >&2
  fi
fi
