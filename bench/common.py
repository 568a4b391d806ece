"""Shared helpers of the benchmark: paths, statistics, counters, machine facts, servers."""

from __future__ import annotations

import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from db import migrate  # noqa: E402  (src/ is on the path only from here)
from db.database import Sessions  # noqa: E402
from jobs import instances  # noqa: E402
from jobs.runner import Runner, RunnerConfig  # noqa: E402
from programs.service import Programs  # noqa: E402

PG_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt"]
REQUEST = {
    "goal": "strength",
    "experience": "beginner",
    "days_per_week": 1,
    "weeks": 1,
    "session_minutes": 30,
    "equipment": ["bodyweight"],
}  # the smallest program: 2 steps


def median(values: list[float]) -> float:
    """Median of a non-empty list."""
    return float(statistics.median(values))


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list (pct in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def wait_for(
    check: Callable[[], Any], *, timeout: float, interval: float = 0.02, what: str = "condition"
) -> Any:
    """Poll `check` until truthy; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class StatementCounter:
    """Counts the statements (by kind) and commits an engine sends."""

    statements: Counter[str] = field(default_factory=Counter)
    # what the database ran: an executemany runs its statement once per parameter set
    executions: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)  # time in the driver, by kind
    commits: int = 0

    def attach(self, engine: sa.Engine) -> None:
        """Listen on `engine`."""
        event.listen(engine, "before_cursor_execute", self._on_statement)
        event.listen(engine, "after_cursor_execute", self._on_answer)
        event.listen(engine, "commit", self._on_commit)

    def _on_statement(
        self, conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        words = statement.split(None, 3)
        kind = words[0].upper() if words else "?"
        if kind in {"INSERT", "DELETE"} and len(words) > 2:
            kind = f"{kind} {words[2]}"
        elif kind == "UPDATE" and len(words) > 1:
            kind = f"UPDATE {words[1]}"
        elif kind == "BEGIN":
            kind = " ".join(words[:2]).upper()
        self.statements[kind] += 1
        self.executions[kind] += len(parameters) if many else 1
        conn.info["bench_sent"] = (kind, time.perf_counter())

    def _on_answer(self, conn: Any, *_args: Any) -> None:
        kind, sent = conn.info.pop("bench_sent", ("?", time.perf_counter()))
        self.seconds[kind] += time.perf_counter() - sent

    def _on_commit(self, _conn: Any) -> None:
        self.commits += 1

    def reset(self) -> None:
        """Forget what was counted."""
        self.statements.clear()
        self.executions.clear()
        self.seconds.clear()
        self.commits = 0

    @property
    def data_statements(self) -> int:
        """Statements that read or write rows (not BEGIN, PRAGMA)."""
        return data_count(self.statements)


def data_count(counts: Mapping[str, int]) -> int:
    """The counts of the kinds that read or write rows (not BEGIN, PRAGMA)."""
    return sum(n for kind, n in counts.items() if not kind.startswith(("BEGIN", "PRAGMA")))


def machine() -> dict[str, Any]:
    """nproc, CPU model, Python, SQLite and PostgreSQL versions."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        pg = (
            subprocess.run(
                [*PG_ADMIN, "-c", "SHOW server_version"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "unavailable"
        )
    except (OSError, subprocess.TimeoutExpired):
        pg = "unavailable"
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "kernel": platform.release(),
    }


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(db_url: str, **env: str) -> dict[str, str]:
    """The environment of a server: ours without secrets, plus the given variables."""
    cleared = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "API_TOKEN", "DATABASE_URL", "GENERATOR")
    base = {k: v for k, v in os.environ.items() if k not in cleared}
    unlimited = {"SUBMIT_RATE_PER_MINUTE": "0", "MAX_PENDING_JOBS": "1000000"}  # load tests
    return {**base, **unlimited, "GENERATOR": "template", "DATABASE_URL": db_url, **env}


class Server:
    """One server process we started (./start_fastapi.sh, or uvicorn on a bench app)."""

    def __init__(self, db_url: str, log: Path, *, app: str | None = None, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = base_env(db_url, **env)
        self.app = app
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0

    def command(self) -> list[str]:
        """start_fastapi.sh, or the same uvicorn line on another app module."""
        if self.app is None:
            return [str(ROOT / "start_fastapi.sh"), "--port", str(self.port)]
        self.env["PYTHONPATH"] = f"{SRC}:{ROOT}"
        return [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "uvicorn",
            self.app,
            "--app-dir",
            str(SRC),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]

    def spawn(self) -> None:
        """Start the process (without waiting)."""
        with self.log.open("ab") as out:
            self.spawned_at = time.monotonic()
            self.proc = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def start(self, timeout: float = 30) -> float:
        """Start and wait for a healthy /api/health; seconds from spawn to healthy."""
        self.spawn()
        wait_for(self.healthy, timeout=timeout, interval=0.01, what=f"{self.url} healthy")
        return time.monotonic() - self.spawned_at

    def healthy(self) -> bool:
        """One GET /api/health answered 200 (raises if the process died)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(
                    b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )  # a Host in ALLOWED_HOSTS
                return sock.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    @property
    def pid(self) -> int:
        """The server's pid (start_fastapi.sh execs uvicorn, so it is uvicorn's)."""
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """kill -9 and reap."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (SIGKILL if it does not exit in time), and reap."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.pid, signal.SIGCONT)
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def server(db_url: str, log: Path, *, app: str | None = None, **env: str) -> Iterator[Server]:
    """A started server, stopped (by its pid) on exit."""
    proc = Server(db_url, log, app=app, **env)
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    """A throw-away PostgreSQL database on 127.0.0.1, dropped on exit; yields its URL."""
    subprocess.run(
        [*PG_ADMIN, "-c", f"DROP DATABASE IF EXISTS {name}"],
        check=True,
        timeout=30,
        capture_output=True,
    )
    subprocess.run(
        [*PG_ADMIN, "-c", f"CREATE DATABASE {name}"], check=True, timeout=30, capture_output=True
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        subprocess.run(
            [*PG_ADMIN, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
            timeout=30,
            capture_output=True,
        )


#: whether any job is still to run; the statuses are literals so both databases answer from
#: the partial indexes, where counting completed jobs would scan the table on every poll
UNFINISHED = (
    "SELECT EXISTS (SELECT 1 FROM program_generation_jobs WHERE status = 'pending')"
    " OR EXISTS (SELECT 1 FROM program_generation_jobs WHERE status = 'in_progress')"
)


def sqlite_unfinished(path: Path) -> bool:
    """Whether a job in the SQLite file is pending or running (cheap enough to poll)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        return bool(conn.execute(UNFINISHED).fetchone()[0])


def sqlite_count(path: Path, status: str) -> int:
    """Jobs in `status`, read straight from the SQLite file (no server involved)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM program_generation_jobs WHERE status = ?", (status,)
        ).fetchone()
    return int(row[0])


def log(message: str) -> None:
    """Progress on stderr, so stdout keeps only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class InProcess:
    """The job engine without HTTP: a registered instance, its runner and the service."""

    sessions: Sessions
    who: instances.Me
    runner: Runner
    service: Programs


def in_process(engine: Any, handler: Any, *, concurrency: int, timeout: float) -> InProcess:
    """Migrate, register an instance and build a Runner plus the Programs service on it."""
    migrate.upgrade(engine)
    sessions, who = Sessions(engine), instances.me()
    with sessions.write() as session:
        instances.register(session, who=who)
    runner = Runner(
        sessions=sessions,
        instance_id=who.id,
        handler=handler,
        config=RunnerConfig(concurrency=concurrency, backoff_base=1, timeout_seconds=timeout),
    )
    service = Programs(
        sessions=sessions,
        runner=runner,
        generator=handler,  # only its total_steps() is used
        max_attempts=3,
    )
    return InProcess(sessions, who, runner, service)
