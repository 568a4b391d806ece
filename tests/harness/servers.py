"""Real progen processes: `./start_fastapi.sh` on a free 127.0.0.1 port, probed and signalled.

Every wait is bounded in time; a process is signalled only while it is ours and unreaped
(a reaped pid may belong to someone else by now), and only by the PID we started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from harness.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

#: every variable of the contract (and LOG_FORMAT): none may leak in from the caller's shell
PROGEN_VARIABLES = frozenset(
    {
        "DATABASE_URL",
        "HOST",
        "PORT",
        "HEARTBEAT_INTERVAL_SECONDS",
        "HEARTBEAT_STALE_SECONDS",
        "MONITOR_INTERVAL_SECONDS",
        "JOB_CONCURRENCY",
        "JOB_MAX_ATTEMPTS",
        "JOB_RETRY_BACKOFF_SECONDS",
        "JOB_TIMEOUT_SECONDS",
        "SHUTDOWN_GRACE_SECONDS",
        "GENERATOR",
        "GENERATION_STEP_DELAY_SECONDS",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_MODEL",
        "OPENAI_TIMEOUT_SECONDS",
        "API_TOKEN",
        "JOB_RETENTION_DAYS",
        "MAX_PENDING_JOBS",
        "SUBMIT_RATE_PER_MINUTE",
        "FORWARDED_ALLOW_IPS",
        "ALLOWED_HOSTS",
        "ALLOW_ANONYMOUS",
        "METRICS_TOKEN",
        "DOCS_ENABLED",
        "STREAM_KEEPALIVE_SECONDS",
        "LOG_FORMAT",
    }
)
#: what every server of ours runs with: offline, on loopback, and no admission limits,
#: since tests, benchmarks and chaos runs all submit faster than a person would
OFFLINE = {
    "GENERATOR": "template",
    "HOST": "127.0.0.1",
    "SUBMIT_RATE_PER_MINUTE": "0",
    "MAX_PENDING_JOBS": "1000000",
}
#: the documented intervals, short: a lost job is noticed within 3 + 1 s
FAST = {
    "HEARTBEAT_INTERVAL_SECONDS": "1",
    "HEARTBEAT_STALE_SECONDS": "3",
    "MONITOR_INTERVAL_SECONDS": "1",
    "JOB_RETRY_BACKOFF_SECONDS": "0",
    "SHUTDOWN_GRACE_SECONDS": "3",
}
HEALTH_TIMEOUT = 2.0  # one probe of /api/health
STOP_TIMEOUT = 20.0


class ServerError(RuntimeError):
    """A server did not start, or died while we waited for it."""


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(db_url: str, settings: Mapping[str, str] = FAST, **env: str) -> dict[str, str]:
    """Our environment without any progen variable, then OFFLINE, `settings`, the database
    and `env` (later ones win)."""
    base = {k: v for k, v in os.environ.items() if k not in PROGEN_VARIABLES}
    return {**base, **OFFLINE, **settings, "DATABASE_URL": db_url, **env}


class Server:
    """One progen process: ./start_fastapi.sh, or uvicorn on another app module (`app`,
    e.g. the bench's bare app). Its output is appended to `log`; `client` talks to it."""

    def __init__(
        self,
        db_url: str,
        log: Path,
        *,
        settings: Mapping[str, str] = FAST,
        app: str | None = None,
        extra_args: tuple[str, ...] = (),
        **env: str,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = server_env(db_url, settings, **env)
        if app is not None:  # uvicorn imports it from the repository, beside src/
            self.env["PYTHONPATH"] = f"{SRC}:{ROOT}"
        self.app = app
        self.extra_args = extra_args
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def command(self) -> list[str]:
        """start_fastapi.sh, or the same uvicorn line on `app`."""
        if self.app is None:
            return [str(ROOT / "start_fastapi.sh"), "--port", str(self.port), *self.extra_args]
        uvicorn = [str(ROOT / ".venv/bin/python"), "-m", "uvicorn", self.app]
        where = ["--app-dir", str(SRC), "--host", "127.0.0.1", "--port", str(self.port)]
        return [*uvicorn, *where, *self.extra_args]

    def spawn(self) -> None:
        """Start the process without waiting for it."""
        with self.log.open("ab") as out:
            out.write(f"\n=== harness: start on port {self.port} ===\n".encode())
            out.flush()
            self.spawned_at = time.monotonic()
            self.proc = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def start(self, timeout: float = 30, interval: float = 0.05) -> float:
        """Spawn and wait for a 200 from /api/health; return the seconds that took."""
        self.spawn()
        try:
            wait_for(self.healthy, timeout=timeout, interval=interval, what=f"{self.url} healthy")
        except TimeoutError as error:
            raise ServerError(f"{error}; log {self.log}:\n{self.tail()}") from None
        return time.monotonic() - self.spawned_at

    def health(self) -> tuple[int, dict[str, Any]] | None:
        """One GET /api/health: (status, body), or None while nothing answers."""
        try:
            answer = self.client.get("/api/health", timeout=HEALTH_TIMEOUT)
            return answer.status_code, dict(answer.json())
        except (httpx.HTTPError, ValueError):
            return None

    def healthy(self) -> bool:
        """Whether /api/health answers 200; raises ServerError if the process has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise ServerError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
        answer = self.health()
        return answer is not None and answer[0] == 200

    @property
    def pid(self) -> int:
        """The server's pid (start_fastapi.sh execs uvicorn, so it is uvicorn's)."""
        assert self.proc is not None, "not started"
        return self.proc.pid

    def alive(self) -> bool:
        """Started and not exited."""
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig`, unless the process has already been reaped."""
        if self.alive():
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """kill -9 and reap."""
        self.signal(signal.SIGKILL)
        assert self.proc is not None, "not started"
        self.proc.wait(timeout=15)

    def stop(self, timeout: float = STOP_TIMEOUT) -> float:
        """SIGCONT (a stopped process cannot handle SIGTERM), SIGTERM, reap; return the
        seconds until it exited. Raises subprocess.TimeoutExpired past `timeout`."""
        assert self.proc is not None, "not started"
        started = time.monotonic()
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - started

    def terminate(self, timeout: float = STOP_TIMEOUT) -> float:
        """stop(), then kill -9 if it did not exit in time; the seconds it took."""
        started = time.monotonic()
        try:
            self.stop(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        return time.monotonic() - started

    def close(self) -> None:
        """Stop whatever is left of the process and the client (teardown)."""
        self.client.close()
        if self.alive():
            self.terminate(timeout=15)

    def tail(self, lines: int = 30) -> str:
        """The last lines of the log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
