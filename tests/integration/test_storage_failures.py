"""Storage failures under a real server: a full disk, a read-only one, PostgreSQL stopped.

The disk is a real file system: a tiny tmpfs mounted for the test (root is
needed; the test is skipped without it) and unmounted in teardown. What an
operator must learn: /api/health says 503 `degraded` with the cause in
words, every request that hits the failure gets a JSON 503 with
`Retry-After`, the log holds no traceback and never says "created" or
"claimed" for a row that is not there, and the service recovers by itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from live import REQUEST, ROOT, Server, free_port, record, wait_for

from harness import postgres

pytestmark = pytest.mark.integration
TINY = "1m"  # the start's migrations need ~600 KB of WAL; then a few dozen jobs fill it
JOB = {**REQUEST, "weeks": 2, "notes": "left shoulder " * 20}  # small: several fit
DETECT_SECONDS = 4.0  # MONITOR_INTERVAL_SECONDS is 1 in live.FAST: one tick, plus slack
LOGGED = re.compile(r"job ([0-9a-f-]{36}) (?:created|attempt \d+/\d+: pending -> in_progress)")


def _mount(folder: Path, *options: str) -> None:
    folder.mkdir(exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join((f"size={TINY}", *options)), "tmpfs", str(folder)],
        check=True,
        capture_output=True,
        timeout=10,
    )


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True, timeout=10)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 300 KB tmpfs of our own, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    _mount(folder)
    try:
        yield folder
    finally:
        _umount(folder)


def _health(server: Server) -> tuple[int, dict]:
    answer = server.client.get("/api/health", timeout=2)
    return answer.status_code, answer.json()


def _degraded_with(server: Server, words: str) -> dict | None:
    code, body = _health(server)
    return body if code == 503 and body["database"] == f"error: {words}" else None


def _assert_json_503(answer: httpx.Response, words: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert words in answer.json()["detail"]
    assert int(answer.headers["retry-after"]) > 0


def _ids_in(path: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT id FROM program_generation_jobs")).scalars())
    finally:
        engine.dispose()


def test_a_full_disk_is_a_503_in_words_and_health_says_so(tiny_disk: Path, tmp_path: Path):
    database = tiny_disk / "progen.db"
    server = Server(f"sqlite:///{database}", tmp_path / "server.log")  # the log is elsewhere
    try:
        server.start()
        free = os.statvfs(tiny_disk).f_bavail * os.statvfs(tiny_disk).f_frsize
        filler = tiny_disk / "filler"
        # Leave 128 KiB: a few dozen small jobs fill it, however fast they complete.
        filler.write_bytes(b"\0" * max(free - 128 * 1024, 0))  # freed at the end: recovery
        answers = []
        for _ in range(2000):  # bounded: 128 KiB holds far fewer
            answers.append(server.client.post("/api/programs/generate", json=JOB))
            if answers[-1].status_code != 202:
                break
        refused = answers[-1]
        _assert_json_503(refused, "disk full")
        assert len(answers) > 1, "the disk was full before the first job"
        refused_at = time.monotonic()
        seen = wait_for(
            lambda: _degraded_with(server, "disk full"),
            timeout=DETECT_SECONDS,
            interval=0.1,
            what="health 503 'error: disk full'",
        )
        detect_seconds = time.monotonic() - refused_at
        assert seen["status"] == "degraded"
        _assert_json_503(server.client.post("/api/programs/generate", json=JOB), "disk full")

        filler.unlink()  # room again: the service recovers by itself
        freed_at = time.monotonic()
        wait_for(lambda: _health(server)[0] == 200, timeout=DETECT_SECONDS, what="health 200")
        record(
            "disk_full",
            accepted_jobs=len(answers) - 1,
            detect_seconds=detect_seconds,
            recover_seconds=time.monotonic() - freed_at,
        )
        assert server.proc is not None and server.proc.poll() is None
    finally:
        server.close()
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    logged = set(LOGGED.findall(log))
    assert logged, "no job was logged as created"
    assert logged <= _ids_in(database), "the log names jobs that were never committed"


def test_a_read_only_data_folder_stops_the_start_in_one_line_with_the_os_reason(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "ro"
    _mount(folder, "ro")
    try:
        started = _start_and_fail(f"sqlite:///{folder}/data/progen.db", tmp_path)
    finally:
        _umount(folder)
    assert "Read-only file system" in started.stderr
    assert "remount it read-write, or point DATABASE_URL at a writable folder" in started.stderr


def test_an_existing_database_on_a_read_only_disk_names_the_cause(tiny_disk: Path, tmp_path: Path):
    database = tiny_disk / "progen.db"
    server = Server(f"sqlite:///{database}", tmp_path / "first.log")
    try:
        server.start()
    finally:
        server.close()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True, timeout=10)
    started = _start_and_fail(f"sqlite:///{database}", tmp_path)
    assert "Read-only file system" in started.stderr


def _start(url: str, tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    """./start_fastapi.sh on `port` with a test server's environment, to its exit."""
    server = Server(url, tmp_path / "unused.log")
    try:
        return subprocess.run(
            [str(ROOT / "start_fastapi.sh"), "--port", str(port)],
            cwd=ROOT,
            env=server.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.client.close()


def _start_and_fail(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Start a server that must refuse: exit 2 with one line on stderr, no traceback."""
    started = _start(url, tmp_path, free_port())
    assert started.returncode == 2, started.stderr
    lines = [line for line in started.stderr.splitlines() if line.startswith("progen:")]
    assert len(lines) == 1, started.stderr
    assert "Traceback" not in started.stderr
    assert "startup" not in started.stderr.lower()  # the engine never started
    return started


def test_a_taken_port_is_one_line_with_a_free_port_before_anything_starts(tmp_path: Path):
    with __import__("socket").socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        answer = _start(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, port)
    assert answer.returncode == 2, answer.stderr
    assert f"cannot listen on 127.0.0.1:{port} ([Errno 98] Address already in use)" in (
        answer.stderr
    )
    assert re.search(r"\./start_fastapi\.sh --port \d+", answer.stderr), answer.stderr
    assert "Waiting for application startup" not in answer.stderr
    assert not (tmp_path / "p.db").exists(), "the engine started before the port was checked"
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_stopped_is_a_503_in_words_without_host_or_user(tmp_path: Path, db_url: str):
    server = Server(db_url, tmp_path / "server.log")
    try:
        server.start()
        job_id = server.submit()
        try:
            postgres.ctl("stop", "-m", "fast").check_returncode()
            stopped_at = time.monotonic()
            seen = wait_for(
                lambda: _degraded_with(server, "database unreachable"),
                timeout=DETECT_SECONDS + 4,  # connect_timeout is 3 s
                interval=0.2,
                what="health 503 'error: database unreachable'",
            )
            detect_seconds = time.monotonic() - stopped_at
            submitted = server.client.post("/api/programs/generate", json=REQUEST)
            polled = server.client.get(f"/api/programs/jobs/{job_id}")
        finally:
            assert postgres.ensure_running(), "PostgreSQL did not start again"
        record("postgresql_stopped", detect_seconds=detect_seconds)
        wait_for(lambda: _health(server)[0] == 200, timeout=20, interval=0.2, what="health 200")
    finally:
        server.close()
    assert "127.0.0.1" not in str(seen) and "postgres" not in str(seen)
    _assert_json_503(submitted, "database")
    _assert_json_503(polled, "database")
    assert "Traceback" not in server.log.read_text()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_read_only_postgresql_database_is_a_503_in_words(tmp_path: Path, db_url: str):
    """The test database (never the cluster) turns read-only under a running server."""
    admin = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(db_url).database

    def read_only(on: bool) -> None:
        with admin.connect() as conn:
            conn.execute(sa.text("SET default_transaction_read_only = off"))
            conn.execute(
                sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {on}')
            )
            conn.execute(  # the server's pooled sessions reconnect, now read-only
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    server = Server(db_url, tmp_path / "server.log")
    try:
        server.start()
        try:
            read_only(True)
            wait_for(
                lambda: _degraded_with(server, "read-only"),
                timeout=DETECT_SECONDS,
                interval=0.1,
                what="health 503 'error: read-only'",
            )
            submitted = server.client.post("/api/programs/generate", json=REQUEST)
        finally:
            read_only(False)
        wait_for(lambda: _health(server)[0] == 200, timeout=10, interval=0.2, what="health 200")
    finally:
        server.close()
        admin.dispose()
    _assert_json_503(submitted, "read-only")
    assert "Traceback" not in server.log.read_text()
