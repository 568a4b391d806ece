#!/usr/bin/env bash
# Issue 6: measure the engine, the HTTP API, slow jobs, recovery and startup; print the
# table and write bench/results/latest.json and bench/LATEST.md. A few minutes on 2 cores.
# BENCH_RUNS, BENCH_ENGINE_JOBS, BENCH_PG_JOBS, BENCH_HTTP_JOBS change the sizes.
# --peers [--jobs N --runs N --only ...]: progen beside the peer queues (bench/peers/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv requirements-bench.txt
if [ "${1:-}" = "--peers" ]; then  # progen beside SAQ, procrastinate, arq, Celery and RQ
  shift
  ensure_venv bench/peers/requirements.txt bench/peers/.venv
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 \
    --port 6379 --save "" --appendonly no --dir /tmp --logfile /tmp/progen-bench-redis.log
  pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  exec timeout --signal=INT 5400 .venv/bin/python -m bench.peers "$@"
fi
exec timeout --signal=INT 900 .venv/bin/python -m bench "$@"
