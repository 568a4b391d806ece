"""The result table: rows from the raw figures, printed, and written as JSON and Markdown."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """One line of the table."""

    figure: str
    measured: str
    target: str
    met: bool | None  # None: no target to meet (a reference, a formula, or pending)


def _mark(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[met]


def _engine_rows(f: dict[str, Any]) -> list[Row]:
    sqlite, rows = f["engine_sqlite"], []
    rows.append(
        Row(
            "engine throughput, SQLite (in-process, JOB_CONCURRENCY=8)",
            f"{sqlite['median']:.0f} jobs/s ({sqlite['jobs']} jobs, runs "
            f"{', '.join(f'{x:.0f}' for x in sqlite['runs'])})",
            "≥ 2,000 jobs/s",
            sqlite["median"] >= 2000,
        )
    )
    pg = f["engine_postgres"]
    if "error" in pg:
        rows.append(
            Row("engine throughput, PostgreSQL", f"pending: {pg['error']}", "≥ 1,000 jobs/s", None)
        )
    else:
        rows.append(
            Row(
                "engine throughput, PostgreSQL (in-process, JOB_CONCURRENCY=8)",
                f"{pg['median']:.0f} jobs/s ({pg['jobs']} jobs, runs "
                f"{', '.join(f'{x:.0f}' for x in pg['runs'])})",
                "≥ 1,000 jobs/s",
                pg["median"] >= 1000,
            )
        )
    limit = f["physical_limit"]
    rows.append(
        Row(
            "engine vs. physical limit (SQLite)",
            f"{limit['fraction'] * 100:.1f} % of {limit['limit_jobs_per_s']:.0f} jobs/s "
            f"({limit['commits_per_s']:.0f} single-row commits/s ÷ "
            f"{limit['executions_per_job']:.2f} statement executions/job, sent as "
            f"{limit['statements_per_job']:.2f} statements; {limit['commits_per_job']:.2f} "
            f"commits/job)",
            "≥ 50 %",
            limit["fraction"] >= 0.5,
        )
    )
    return rows


def _http_rows(f: dict[str, Any]) -> list[Row]:
    http = f["http"]
    return [
        Row(
            "HTTP throughput (POST /generate, 16 connections, concurrency 8)",
            f"{http['median']:.0f} jobs/s ({http['jobs']} jobs, runs "
            f"{', '.join(f'{x:.0f}' for x in http['runs'])}; POST p50 "
            f"{http['post_p50_ms']:.0f} ms, p99 {http['post_p99_ms']:.0f} ms)",
            "≥ 800 jobs/s",
            http["median"] >= 800,
        )
    ]


def _slow_rows(f: dict[str, Any]) -> list[Row]:
    slow, ticks = f["slow_jobs"], f["tick_statements"]
    heartbeat = {t["heartbeat_statements"] for t in ticks}
    rows = [
        Row(
            "1,000 slow jobs in flight: RSS",
            f"{slow['end_peak_rss_mb']:.0f} MB peak "
            f"({slow['rss_mb']:.0f} MB once all in flight, {slow['idle_rss_mb']:.0f} MB idle)",
            "≤ 150 MB",
            slow["end_peak_rss_mb"] <= 150,
        ),
        Row(
            "1,000 slow jobs: CPU of the waiting process",
            f"{slow['cpu_percent']:.1f} % of one core over 10 s",
            "(reported)",
            None,
        ),
        Row(
            "statements per heartbeat tick (10 / 100 / 1,000 jobs)",
            " / ".join(str(t["heartbeat_statements"]) for t in ticks)
            + " (monitor: "
            + " / ".join(str(t["monitor_statements"]) for t in ticks)
            + "; heartbeat "
            + " / ".join(f"{t['heartbeat_ms']:.0f}" for t in ticks)
            + " ms)",
            "independent of jobs",
            len(heartbeat) == 1,
        ),
    ]
    for name, label in (("job", "GET /api/programs/jobs/{id}"), ("health", "GET /api/health")):
        lat = slow[name]
        rows.append(
            Row(
                f"polling {label} at 500/s, 1,000 in flight",
                f"p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms "
                f"(achieved {lat['rate']:.0f}/s)",
                "p99 ≤ 10 ms",
                lat["p99_ms"] <= 10,
            )
        )
        share = slow[f"{name}_max_rps"] / slow["bare_max_rps"]
        rows.append(
            Row(
                f"{label} throughput vs. bare route",
                f"{share * 100:.0f} % ({slow[f'{name}_max_rps']:.0f} vs "
                f"{slow['bare_max_rps']:.0f} req/s)",
                "≥ 50 %",
                share >= 0.5,
            )
        )
    bare = slow["bare"]
    rows.append(
        Row(
            "polling the bare route at 500/s (reference)",
            f"p50 {bare['p50_ms']:.1f} ms, p99 {bare['p99_ms']:.1f} ms",
            "(reference)",
            None,
        )
    )
    return rows


def _recovery_rows(f: dict[str, Any]) -> list[Row]:
    restart, peer, start = f["restart"], f["silent_peer"], f["startup"]
    slow = f.get("silent_peer_defaults", {"error": "did not finish"})
    worst = max(start["fresh_median_s"], start["existing_median_s"])
    return [
        Row(
            "recovery: kill -9 + restart, first healthy → orphan handed back",
            f"{restart['after_healthy_s']:.2f} s (handed back {restart['after_spawn_s']:.2f} s "
            f"after spawn, healthy at {restart['healthy_after_spawn_s']:.2f} s)",
            "≤ 1 s",
            restart["after_healthy_s"] <= 1,
        ),
        Row(
            "peer detection, 1 s heartbeats (stale 3 s, monitor 1 s)",
            f"{peer['detected_s']:.2f} s",
            f"≤ {peer['bound_s']:.0f} s (STALE + MONITOR)",
            peer["detected_s"] <= peer["bound_s"],
        ),
        Row(
            "peer detection, defaults (heartbeat 30 s, stale 90 s, monitor 15 s)",
            f"{slow['detected_s']:.1f} s" if "error" not in slow else f"failed: {slow['error']}",
            f"≤ {slow.get('bound_s', 105):.0f} s (STALE + MONITOR)",
            slow["detected_s"] <= slow["bound_s"] if "error" not in slow else False,
        ),
        Row(
            "startup to first healthy /api/health (median of 5)",
            f"{start['existing_median_s']:.2f} s existing file, {start['fresh_median_s']:.2f} s "
            "fresh file",
            "≤ 1.5 s",
            worst <= 1.5,
        ),
    ]


def _or_failed(section: str, build: Any, figures: dict[str, Any]) -> list[Row]:
    """The section's rows, or one row saying which measurement failed and why."""
    try:
        return list(build(figures))
    except (KeyError, TypeError) as missing:
        errors = [
            f"{k}: {v['error']}"
            for k, v in figures.items()
            if isinstance(v, dict) and "error" in v and k != "engine_postgres"
        ]
        return [Row(section, "failed: " + ("; ".join(errors) or repr(missing)), "", False)]


def rows(figures: dict[str, Any]) -> list[Row]:
    """Every row, in the issue's order."""
    return [
        row
        for section, build in (
            ("engine", _engine_rows),
            ("HTTP", _http_rows),
            ("slow jobs", _slow_rows),
            ("recovery", _recovery_rows),
        )
        for row in _or_failed(section, build, figures)
    ]


def markdown(table: list[Row], machine: dict[str, Any], when: str, notes: list[str]) -> str:
    """The table as Markdown, with the machine it ran on."""
    lines = [
        f"# progen benchmark ({when})",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), Python {machine['python']}, "
        f"SQLite {machine['sqlite']}, PostgreSQL {machine['postgresql']}, "
        f"Linux {machine['kernel']}.",
        "",
        "| figure | measured | target | met |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r.figure} | {r.measured} | {r.target} | {_mark(r.met)} |" for r in table]
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def write(
    figures: dict[str, Any],
    machine: dict[str, Any],
    when: str,
    notes: list[str],
    results: Path,
    latest_md: Path,
) -> str:
    """Write results/latest.json and LATEST.md; return the Markdown."""
    table = rows(figures)
    results.mkdir(parents=True, exist_ok=True)
    document = {
        "when": when,
        "machine": machine,
        "rows": [asdict(r) for r in table],
        "figures": figures,
        "notes": notes,
    }
    (results / "latest.json").write_text(json.dumps(document, indent=2, default=str))
    text = markdown(table, machine, when, notes)
    latest_md.write_text(text)
    return text
