#!/usr/bin/env bash
# Issue 6: measure the engine, the HTTP API, slow jobs, recovery and startup; print the
# table and write bench/results/latest.json and bench/LATEST.md. A few minutes on 2 cores.
# BENCH_RUNS, BENCH_ENGINE_JOBS, BENCH_PG_JOBS, BENCH_HTTP_JOBS change the sizes.
# Not in the default run: --llm (issue 17 item 3: 1,000 programs against a slow fake model,
# about 6 minutes) and --queue (item 4: queue wait, CPU per job, growth with the jobs
# table; about 15 minutes). Arguments after them go to their module.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv requirements-bench.txt
case "${1:-}" in
  --llm) shift; exec timeout --signal=INT 900 .venv/bin/python -m bench.llm_load "$@" ;;
  --queue) shift; exec timeout --signal=INT 1800 .venv/bin/python -m bench.queue_figures "$@" ;;
esac
exec timeout --signal=INT 900 .venv/bin/python -m bench "$@"
