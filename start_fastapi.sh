#!/usr/bin/env bash
# Start progen: create/refresh .venv from requirements.txt when it changed, then
# become uvicorn (exec), so a signal sent to this script's pid reaches the server.
# Extra arguments go to uvicorn: ./start_fastapi.sh --reload, --workers 2, --port 8001.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements.txt
if [ -f .env ]; then  # HOST/PORT from .env unless the environment sets them (as settings.py does)
  HOST=${HOST:-$(sed -n 's/^HOST=//p' .env | tail -n 1)}
  PORT=${PORT:-$(sed -n 's/^PORT=//p' .env | tail -n 1)}
fi
# Before the app starts anything: a taken port is one line with a free one to use instead.
.venv/bin/python scripts/check_port.py "${HOST:-127.0.0.1}" "${PORT:-8000}" "$@" || exit 2
exec .venv/bin/python -m uvicorn api.main:app --app-dir src \
  --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" "$@"
