"""Recovery and startup on real servers: kill -9 + restart, a silent peer, time to healthy."""

from __future__ import annotations

import signal
import sqlite3
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import REQUEST, Server, log, median
from harness import wait_for
from settings import Settings

SLOW = {**REQUEST, "weeks": 8}
FAST_TICKS = {
    "HEARTBEAT_INTERVAL_SECONDS": "1",
    "HEARTBEAT_STALE_SECONDS": "3",
    "MONITOR_INTERVAL_SECONDS": "1",
    "JOB_RETRY_BACKOFF_SECONDS": "0",
    "GENERATION_STEP_DELAY_SECONDS": "5",
    "SHUTDOWN_GRACE_SECONDS": "0",
}
#: the default heartbeat, stale and monitor intervals (30 / 90 / 15 s); a step outlasts detection
DEFAULT_TICKS = {"GENERATION_STEP_DELAY_SECONDS": "200", "SHUTDOWN_GRACE_SECONDS": "0"}


def _row(db: Path, sql: str, *args: Any) -> tuple[Any, ...] | None:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute(sql, args).fetchone()
    return tuple(row) if row else None


def _job(db: Path) -> tuple[str, str, str | None]:
    row = _row(db, "SELECT id, status, owner FROM program_generation_jobs LIMIT 1")
    return (row[0], row[1], row[2]) if row else ("", "", None)


def _reclaimed_at(db: Path, job_id: str) -> float | None:
    """Epoch seconds of the job's first owner_dead event, if any."""
    row = _row(
        db,
        "SELECT at FROM job_events WHERE job_id = ? AND reason = 'owner_dead' ORDER BY id LIMIT 1",
        job_id,
    )
    if row is None:
        return None
    when = datetime.fromisoformat(str(row[0]))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _submit(proc: Server) -> None:
    proc.client.post("/api/programs/generate", json=SLOW).raise_for_status()


def restart(logs: Path) -> dict[str, float]:
    """kill -9 a server running a job, restart it: when is the orphan handed back?"""
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        db, url = Path(tmp) / "restart.db", f"sqlite:///{tmp}/restart.db"
        first = Server(url, logs / "restart-server.log", GENERATION_STEP_DELAY_SECONDS="5")
        second = Server(url, logs / "restart-server.log", GENERATION_STEP_DELAY_SECONDS="5")
        try:
            first.start()
            _submit(first)
            wait_for(lambda: _job(db)[1] == "in_progress", timeout=10, what="job running")
            job_id = _job(db)[0]
            first.kill()
            spawned = time.time()
            second.start()
            healthy = time.time()
            back = wait_for(
                lambda: _reclaimed_at(db, job_id),
                timeout=10,
                interval=0.01,
                what="orphan handed back",
            )
        finally:
            first.close()
            second.close()
    return {
        "after_healthy_s": max(0.0, back - healthy),
        "signed_after_healthy_s": back - healthy,
        "after_spawn_s": back - spawned,
        "healthy_after_spawn_s": healthy - spawned,
    }


def silent_peer(logs: Path, ticks: dict[str, str] = FAST_TICKS) -> dict[str, float]:
    """SIGSTOP the owner of a running job: when does the other instance take it?"""
    stale, monitor = (
        float(ticks.get(name, Settings.model_fields[name.lower()].default))
        for name in ("HEARTBEAT_STALE_SECONDS", "MONITOR_INTERVAL_SECONDS")
    )
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        db, url = Path(tmp) / "peer.db", f"sqlite:///{tmp}/peer.db"
        peers = [Server(url, logs / "peer-server.log", **ticks) for _ in range(2)]
        try:
            for peer in peers:
                peer.start()
            _submit(peers[0])
            wait_for(lambda: _job(db)[1] == "in_progress", timeout=10, what="job running")
            job_id, _, owner = _job(db)
            victim = next(p for p in peers if owner and f":{p.pid}:" in owner)
            time.sleep(0.3)  # not right after the claim, while its writes may still be open
            victim.signal(signal.SIGSTOP)
            stopped = time.time()
            back = wait_for(
                lambda: _reclaimed_at(db, job_id),
                timeout=stale + monitor + 30,
                interval=0.01,
                what="peer's job reclaimed",
            )
            seen = time.time()
            victim.kill()
        finally:
            for peer in peers:
                peer.close()
    return {"detected_s": back - stopped, "observed_s": seen - stopped, "bound_s": stale + monitor}


def startup(logs: Path, runs: int = 5) -> dict[str, Any]:
    """Seconds from spawn to the first healthy /api/health: fresh file, then existing file."""
    times: dict[str, list[float]] = {"fresh": [], "existing": []}
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        for index in range(runs):
            for kind in times:
                name = f"start-{index}.db" if kind == "fresh" else "existing.db"
                proc = Server(f"sqlite:///{tmp}/{name}", logs / "startup-server.log")
                try:
                    times[kind].append(proc.start())
                finally:
                    proc.close()
    log(f"startup: {times}")
    return {
        "fresh_median_s": median(times["fresh"]),
        "existing_median_s": median(times["existing"]),
        "runs": times,
    }
