#!/usr/bin/env bash
# Issue 6: measure the engine, the HTTP API, slow jobs, recovery and startup; print the
# table and write bench/results/latest.json and bench/LATEST.md. A few minutes on 2 cores.
# BENCH_RUNS, BENCH_ENGINE_JOBS, BENCH_PG_JOBS, BENCH_HTTP_JOBS change the sizes.
# Not in the default run (issue 17; arguments after them go to their module):
#   --peers  progen beside SAQ, procrastinate, arq, Celery and RQ (bench/peers/; its own
#            venv): throughput, then crash recovery (--no-crash or --crash for one of them;
#            --only KEY... for some systems); about 70 minutes with --jobs 2000
#   --llm    1,000 programs against a slow fake model (about 6 minutes)
#   --queue  queue wait, CPU per job, growth with the jobs table (about 15 minutes)
#   --submit one client's POST /generate latency, alone and while jobs run (about 3 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv requirements-bench.txt
peers_venv() {  # the peer libraries live apart from the service's venv; Redis and PostgreSQL run
  ensure_venv bench/peers/requirements.txt bench/peers/.venv
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 \
    --port 6379 --save "" --appendonly no --dir /tmp --logfile /tmp/progen-bench-redis.log
  pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
}
case "${1:-}" in
  --peers) shift; peers_venv; exec timeout --signal=INT 9000 .venv/bin/python -m bench.peers "$@" ;;
  --llm) shift; peers_venv; exec timeout --signal=INT 900 .venv/bin/python -m bench.llm_load "$@" ;;
  --queue) shift; exec timeout --signal=INT 1800 .venv/bin/python -m bench.queue_figures "$@" ;;
  --submit) shift; exec timeout --signal=INT 900 .venv/bin/python -m bench.submit_latency "$@" ;;
esac
exec timeout --signal=INT 900 .venv/bin/python -m bench "$@"
