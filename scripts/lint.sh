#!/usr/bin/env bash
# Every static check, as CI runs it: ruff's lint and format check, and mypy --strict
# on src/ (its settings are in pyproject.toml). Exits non-zero if any fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv requirements-dev.txt
status=0
.venv/bin/ruff check . || status=$?
.venv/bin/ruff format --check . || status=$?
.venv/bin/mypy || status=$?
exit "$status"
