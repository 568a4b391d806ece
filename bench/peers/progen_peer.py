"""progen measured as the peers are: a worker process (the server) and a separate client.

Runs in the service's own venv (`.venv`), not the peers': the client imports progen.
A progen job is the smallest template program (2 steps: plan and one week), the
same job `python -m bench` runs. Two clients:
- `ProgenClient`: a script that submits through the job store, one transaction per
  job, as the peers' clients submit through their libraries (the server finds the
  new job at its poll, as a peer worker watches its queue);
- `ProgenHTTP`: one keep-alive connection POSTing /api/programs/generate, one at a time.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import time

import sqlalchemy as sa

from bench.peers.peer import (
    CONCURRENCY,
    LONG_SECONDS,
    MARKS_ENV,
    ROOT,
    Peer,
    fresh_postgres_database,
)

sys.path.insert(0, str(ROOT / "src"))
from db import migrate
from db.database import Sessions, make_engine
from jobs import journal, store
from jobs.models import JobEvent

REQUEST = {"goal": "strength", "experience": "beginner", "days_per_week": 1, "weeks": 1,
           "session_minutes": 30, "equipment": ["bodyweight"]}  # fmt: skip
SQLITE = ROOT / "bench" / "results" / "peers" / "progen.db"
_COUNTS = sa.text(
    "SELECT"
    " (SELECT count(*) FROM program_generation_jobs WHERE status = 'pending'),"
    " (SELECT count(*) FROM program_generation_jobs WHERE status IN ('pending', 'in_progress'))"
)
_CLAIMS = sa.select(JobEvent.at).where(JobEvent.reason == "claimed").order_by(JobEvent.id)
_COMPLETED = sa.text("SELECT count(*) FROM program_generation_jobs WHERE status = 'completed'")
SERVER_ENV = {  # the service's own limits would refuse a benchmark's flood
    "GENERATOR": "template",
    "JOB_CONCURRENCY": str(CONCURRENCY),
    "MAX_PENDING_JOBS": "1000000",
    "SUBMIT_RATE_PER_MINUTE": "0",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ProgenClient(Peer):
    job = "a 2-step template program; JSON row and event rows, fenced lease, heartbeats"
    best = "the defaults (a restart's sweep hands back a dead process's jobs at once)"

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.name = f"progen client ({'SQLite' if backend == 'sqlite' else 'PostgreSQL'})"
        self.port = _free_port()

    async def reset(self) -> None:
        if self.backend == "sqlite":
            SQLITE.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                SQLITE.with_name(SQLITE.name + suffix).unlink(missing_ok=True)
            self.url = f"sqlite:///{SQLITE}"
        else:
            self.url = fresh_postgres_database("peers_progen").replace(
                "postgresql://", "postgresql+psycopg://"
            )
        self.engine = make_engine(self.url)
        migrate.upgrade(self.engine)
        self.sessions = journal.attach(Sessions(self.engine))
        os.environ.update(SERVER_ENV, DATABASE_URL=self.url)
        if MARKS_ENV in os.environ:  # the crash scenario: its long job is 2 slow steps
            os.environ["GENERATION_STEP_DELAY_SECONDS"] = str(LONG_SECONDS / 2)
        os.environ.pop("API_TOKEN", None)

    async def submit(self) -> None:
        with self.sessions.write() as session:
            store.create(session, payload=dict(REQUEST), max_attempts=3, total_steps=2)

    async def enqueue_long(self) -> None:
        await self.enqueue(1)

    def starts(self) -> list[float]:
        """Each claim of the job is a start (progen's job records them as events)."""
        with self.engine.connect() as connection:
            claims = connection.execute(_CLAIMS).scalars()
            return [moment.timestamp() for moment in claims]

    def ends(self) -> int:
        """The job ran to its end when it completed."""
        with self.engine.connect() as connection:
            return int(connection.execute(_COMPLETED).scalar_one())

    async def counts(self) -> tuple[int, int]:
        with self.engine.connect() as connection:
            waiting, unfinished = connection.execute(_COUNTS).one()
        return int(waiting), int(unfinished)

    def worker(self) -> list[str]:
        return [str(ROOT / "start_fastapi.sh"), "--port", str(self.port)]

    async def close(self) -> None:
        self.engine.dispose()


class ProgenHTTP(ProgenClient):
    job = ProgenClient.job + "; over HTTP: validation, idempotency hash, JSON answer"

    def __init__(self, backend: str) -> None:
        super().__init__(backend)
        self.name = self.name.replace("client", "HTTP, 1 connection")
        self.body = json.dumps(REQUEST).encode()

    async def open(self) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    async def submit(self) -> None:
        headers = {"Content-Type": "application/json"}
        self.http.request("POST", "/api/programs/generate", self.body, headers)
        response = self.http.getresponse()
        answer = response.read()
        if response.status != 202:
            raise RuntimeError(f"POST answered {response.status}: {answer[:200]!r}")

    async def enqueue(self, count: int) -> None:
        if count == 1:  # the warm-up also waits for the server to come up
            for _ in range(300):
                try:
                    await self.submit()
                    return
                except (ConnectionError, http.client.HTTPException):
                    self.http.close()
                    time.sleep(0.1)
        await super().enqueue(count)

    async def close(self) -> None:
        self.http.close()
        await super().close()
