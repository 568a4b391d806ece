"""`python -m bench.peers`: progen and the peer queues, interleaved in one run, then the
crash scenario for each (`--crash` or `--no-crash` for one of the two).

Each measurement is its own process (`bench.peers.measure`), run with the venv its
code needs; the systems take turns (A, B, C, A, B, C ...) so that background load
on a shared machine hits all alike. Prints a Markdown table of medians and each
progen row's ratio to the best peer and to the best PostgreSQL peer, and writes
bench/results/peers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.peers.measure import PEERS
from bench.peers.peer import CONCURRENCY, ROOT

PEERS_PYTHON = ROOT / "bench" / "peers" / ".venv" / "bin" / "python"
PROGEN_PYTHON = ROOT / ".venv" / "bin" / "python"
MODES = ("enqueue-then-run", "while-running")
LIBRARIES = {key for key in PEERS if not key.startswith("progen")}
RESULTS = ROOT / "bench" / "results" / "peers.json"
RUN_TIMEOUT_SECONDS = 900


def _python(key: str) -> str:
    return str(PROGEN_PYTHON if key.startswith("progen") else PEERS_PYTHON)


def _applies(key: str, mode: str) -> bool:
    """HTTP submits need the server up, so it cannot enqueue before it runs."""
    return not (key.startswith("progen-http") and mode == "enqueue-then-run")


def measure(key: str, mode: str, jobs: int) -> dict[str, Any]:
    """One run of one system, in its own process."""
    command = [_python(key), "-m", "bench.peers.measure", key, mode, str(jobs)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS
    )
    if done.returncode != 0:
        raise RuntimeError(f"{key} {mode} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def interleaved(keys: list[str], modes: list[str], jobs: int, runs: int) -> list[dict[str, Any]]:
    """Every (system, mode), `runs` times, taking turns; a failed run is reported, not fatal."""
    results = []
    for run in range(runs):
        for mode in modes:
            for key in (k for k in keys if _applies(k, mode)):
                try:
                    result = measure(key, mode, jobs)
                except (RuntimeError, subprocess.TimeoutExpired) as error:
                    print(f"run {run + 1}: {key} {mode}: {error}", file=sys.stderr)
                    continue
                results.append(result)
                rate = result["jobs_per_second"]
                print(f"run {run + 1}: {key:22} {mode:17} {rate:8.0f} jobs/s", file=sys.stderr)
    return results


def summary(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median per (system, mode), with each progen row's ratios to the best peers."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for result in results:
        row = rows.setdefault(
            (result["peer"], result["mode"]),
            {**result, "runs": [], "submit_runs": [], "p50_runs": [], "p99_runs": []},
        )
        row["runs"].append(result["jobs_per_second"])
        row["submit_runs"].append(result["submits_per_second"])
        row["p50_runs"].append(result["submit_p50_ms"])
        row["p99_runs"].append(result["submit_p99_ms"])
    for row in rows.values():
        row["median"] = statistics.median(row["runs"])
        row["submit_median"] = statistics.median(row["submit_runs"])
        row["p50_median"] = statistics.median(row["p50_runs"])
        row["p99_median"] = statistics.median(row["p99_runs"])
    for mode in MODES:
        peers = [r for r in rows.values() if r["mode"] == mode and r["peer"] in LIBRARIES]
        best = max(peers, key=lambda r: r["median"], default=None)
        best_pg = max(
            (r for r in peers if r["backend"] == "postgresql"),
            key=lambda r: r["median"],
            default=None,
        )
        for row in rows.values():
            if row["mode"] == mode and row["peer"].startswith("progen"):
                row["vs_best"] = best and (best["name"], row["median"] / best["median"])
                row["vs_best_pg"] = best_pg and (best_pg["name"], row["median"] / best_pg["median"])
    return sorted(rows.values(), key=lambda r: (MODES.index(r["mode"]), -r["median"]))


def table(rows: list[dict[str, Any]], jobs: int) -> str:
    """The Markdown table of the summary."""
    lines = [
        f"{jobs} no-op jobs, one client submitting one at a time, one worker process "
        f"(concurrency {CONCURRENCY}); medians, each run in the cell",
        "",
        "| mode | system | jobs/s | submits/s | a submit, p50 / p99 (ms) | ÷ best peer "
        "| ÷ best PostgreSQL peer |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        runs = ", ".join(f"{rate:.0f}" for rate in row["runs"])
        ratios = [
            f"{ratio[1]:.2f}× ({ratio[0]})" if ratio else ""
            for ratio in (row.get("vs_best"), row.get("vs_best_pg"))
        ]
        lines.append(
            f"| {row['mode']} | {row['name']} | {row['median']:.0f} ({runs}) "
            f"| {row['submit_median']:.0f} | {row['p50_median']:.2f} / {row['p99_median']:.2f} "
            f"| {ratios[0]} | {ratios[1]} |"
        )
    lines += ["", "What one job is:"]
    lines += sorted({f"- {row['name']}: {row['job']}" for row in rows})
    return "\n".join(lines)


CRASH_PEERS = ("saq-redis", "saq-postgres", "procrastinate", "arq", "celery", "rq", "progen-sqlite",
               "progen-postgres")  # fmt: skip


def crash(window: float, only: list[str]) -> list[dict[str, Any]]:
    """The crash scenario for every system in `only`, with its defaults and its best
    settings."""
    results = []
    for config in ("defaults", "best"):
        for key in (key for key in CRASH_PEERS if key in only):
            if config == "best" and key.startswith("progen"):
                continue  # progen's defaults are its best settings
            command = [_python(key), "-m", "bench.peers.crash", key, str(window)]
            env = {**os.environ, "PEERS_CONFIG": config}
            done = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=window * 4
            )
            if done.returncode != 0:
                print(f"crash {key} {config} failed:\n{done.stderr[-1500:]}", file=sys.stderr)
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"crash: {key} {config}: {results[-1]}", file=sys.stderr)
    return results


def crash_table(results: list[dict[str, Any]]) -> str:
    """The Markdown table of the crash scenario."""
    lines = [
        "A long job; its worker is killed (SIGKILL) 3 s in and a new worker starts at once.",
        "",
        "| system | settings | kill -9 → job runs again | a healthy long job |",
        "|---|---|---|---|",
    ]
    for row in results:
        again = row["rerun_after_kill_seconds"]
        shown = (
            f"{again:.1f} s" if again is not None else f"never within {row['window_seconds']:.0f} s"
        )
        starts, ends = row["healthy_starts"], row["healthy_ends"]
        healthy = (
            "ran once, to its end"
            if (starts, ends) == (1, 1)
            else f"started {starts}×, ran to its end {ends}×"
        )
        lines.append(f"| {row['name']} | {row['settings']} | {shown} | {healthy} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=sorted(PEERS), default=list(PEERS))
    parser.add_argument("--modes", nargs="*", choices=MODES, default=list(MODES))
    parts = parser.add_mutually_exclusive_group()
    parts.add_argument("--crash", action="store_true", help="only the crash scenario")
    parts.add_argument("--no-crash", action="store_true", help="only the throughput table")
    parser.add_argument("--window", type=float, default=200.0, help="crash: seconds to wait")
    args = parser.parse_args()
    started = time.time()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not args.crash:
        rows = summary(interleaved(args.only, args.modes, args.jobs, args.runs))
        machine = {"python": platform.python_version(), "cpus": platform.machine(), "at": started}
        RESULTS.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))
        print(table(rows, args.jobs), flush=True)
    if not args.no_crash:
        results = crash(args.window, args.only)
        RESULTS.with_name("peers-crash.json").write_text(json.dumps(results, indent=2))
        print("\n" + crash_table(results))


if __name__ == "__main__":
    main()
