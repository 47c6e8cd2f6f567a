#!/usr/bin/env bash
# Set up (idempotent) and run the whole pipeline locally in paper mode. Extra args go to `memesnipe run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
exec memesnipe run "$@"
