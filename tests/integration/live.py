"""Real servers for lifecycle tests: `./start_fastapi.sh` as a subprocess on a free port.

Every wait here is bounded in time; processes are stopped by the PID we started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
FAST = {  # the documented variables, with short intervals for tests
    "HEARTBEAT_INTERVAL_SECONDS": "1",
    "HEARTBEAT_STALE_SECONDS": "3",
    "MONITOR_INTERVAL_SECONDS": "1",
    "JOB_RETRY_BACKOFF_SECONDS": "0",
    "SHUTDOWN_GRACE_SECONDS": "3",
    "GENERATOR": "template",
    "SUBMIT_RATE_PER_MINUTE": "0",  # tests submit in bursts from one address (own tests exist)
}
CLEARED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "API_TOKEN", "DATABASE_URL", "GENERATOR")
REQUEST = {
    "goal": "hypertrophy",
    "experience": "intermediate",
    "days_per_week": 3,
    "weeks": 8,
    "session_minutes": 45,
    "equipment": ["dumbbells", "barbell"],
}


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    check: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Server:
    """One progen process started with ./start_fastapi.sh."""

    def __init__(
        self, db_url: str, log: Path, *, extra_args: tuple[str, ...] = (), **env: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        base = {k: v for k, v in os.environ.items() if k not in CLEARED}
        self.env = {**base, **FAST, "DATABASE_URL": db_url, **env}
        self.extra_args = extra_args
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def start(self, *, timeout: float = 30) -> float:
        """Start and wait for a healthy /api/health; return seconds from spawn to healthy."""
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(ROOT / "start_fastapi.sh"), "--port", str(self.port), *self.extra_args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_for(self.healthy, timeout=timeout, what=f"{self.url} healthy")
        return time.monotonic() - started

    def healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"server exited with {self.proc.returncode}: {self.tail()}")
        try:
            return self.client.get("/api/health").status_code == 200
        except httpx.TransportError:
            return False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.pid, sig)

    def kill(self) -> None:
        """kill -9 and reap."""
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> float:
        """SIGTERM; return seconds until the process exited."""
        assert self.proc is not None
        started = time.monotonic()
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)  # a stopped process cannot handle SIGTERM
            self.signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - started

    def close(self) -> None:
        """Stop whatever is left of the process (test teardown)."""
        self.client.close()
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.stop(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def submit(self, **overrides: Any) -> str:
        answer = self.client.post("/api/programs/generate", json={**REQUEST, **overrides})
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/api/programs/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def events(self, job_id: str) -> list[dict[str, Any]]:
        return list(self.client.get(f"/api/programs/jobs/{job_id}/events").json())


def record(name: str, **figures: float) -> None:
    """Keep the figures a test observed (test-artifacts/lifecycle.json), and print them."""
    path = ROOT / "test-artifacts" / "lifecycle.json"
    path.parent.mkdir(exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = {key: round(value, 3) for key, value in figures.items()}
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    print(f"{name}: {data[name]}")
