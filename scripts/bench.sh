#!/usr/bin/env bash
# Issue 6: measure the engine, the HTTP API, slow jobs, recovery and startup; print the
# table and write bench/results/latest.json and bench/LATEST.md. A few minutes on 2 cores.
# BENCH_RUNS, BENCH_ENGINE_JOBS, BENCH_PG_JOBS, BENCH_HTTP_JOBS change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv requirements-bench.txt
exec timeout --signal=INT 900 .venv/bin/python -m bench "$@"
