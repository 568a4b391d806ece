"""The local PostgreSQL cluster (127.0.0.1:5432, trust auth on these machines): whether it
answers, starting and stopping it, and throw-away databases dropped after use.

scripts/postgres.sh does the same for shell callers (scripts/test.sh, .ci/run).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
READY_TIMEOUT = 60.0  # seconds for a started cluster to accept connections
CTL_TIMEOUT = 90.0


def version() -> str:
    """The newest installed cluster version (the directory name under /etc/postgresql)."""
    return sorted(os.listdir("/etc/postgresql"), key=float)[-1]


def ready() -> bool:
    """Whether the cluster accepts connections on 127.0.0.1:5432."""
    done = subprocess.run(
        ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False, timeout=10
    )
    return done.returncode == 0


def ctl(action: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """`pg_ctlcluster <version> main <action>` (start, stop -m fast, restart ...); not checked."""
    return subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version(), "main", action, *extra],
        check=False,
        timeout=CTL_TIMEOUT,
        capture_output=True,
        text=True,
    )


def ensure_running(timeout: float = READY_TIMEOUT) -> bool:
    """Start the cluster if it is down and wait for it; True when it answers."""
    deadline = time.monotonic() + timeout
    started = False
    for _ in range(int(timeout / 0.5) + 1):
        if ready():
            return True
        if time.monotonic() >= deadline:
            break
        if not started:
            ctl("start")
            started = True
        time.sleep(0.5)
    return ready()


def _admin(admin_url: str, statement: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        admin.dispose()


@contextmanager
def throwaway(prefix: str, admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A new database named after `prefix`, this process and a random suffix, on the
    server of `admin_url`; yields its URL and drops it (WITH FORCE) on exit."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
