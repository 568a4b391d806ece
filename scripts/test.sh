#!/usr/bin/env bash
# The whole test suite: installs what it needs (.venv from requirements-dev.txt;
# Debian's chromium for the browser tests, nginx for the deployment tests and
# prometheus for promtool, the alert rules' check; a throw-away PostgreSQL
# database when TEST_POSTGRES_URL is not given), then runs the static checks
# (scripts/lint.sh), the Python suite and the browser suite in two pytest
# processes (Playwright's sync API keeps an event loop running that the async
# tests must not share). Extra args go to both runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv requirements-dev.txt
apt_install() {
  echo "progen: installing Debian's $* for the tests ..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >&2
}
[ -x /usr/bin/chromium ] || apt_install chromium
[ -x /usr/sbin/nginx ] || apt_install nginx
command -v promtool >/dev/null || apt_install --no-install-recommends prometheus
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  source scripts/postgres.sh
  throwaway_postgres  # sets TEST_POSTGRES_URL and drops the database on exit
fi
status=0
scripts/lint.sh || status=$?  # ruff and mypy --strict, as a developer runs them
.venv/bin/python -m pytest tests --ignore=tests/e2e "$@" || status=$?
.venv/bin/python -m pytest tests/e2e "$@" || status=$?
exit "$status"
