"""Browser tests: a real server process and Debian's chromium driven by Playwright.

Nothing here skips: without chromium or playwright the tests fail and say what to install.
The sync Playwright API keeps an event loop running, so this directory runs in its own
pytest process (`pytest tests/e2e`), apart from the anyio tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # fail loudly, never skip
    raise ImportError("playwright is missing: .venv/bin/pip install playwright==1.65.2") from exc

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
STARTUP_SECONDS = 20
STOP_SECONDS = 10

_servers: list[LiveServer] = []  # for the server-log section of failed tests


@dataclass
class LiveServer:
    """A uvicorn process serving the app on 127.0.0.1."""

    url: str
    proc: subprocess.Popen
    log_path: Path
    token: str | None = None

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health_status(url: str) -> int | None:
    """HTTP status of /api/health, or None while nothing answers."""
    try:
        with urllib.request.urlopen(url + "/api/health", timeout=2) as res:
            return res.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextlib.contextmanager
def live_server(workdir: Path, **env_overrides: str) -> Iterator[LiveServer]:
    """Start the service with a fresh SQLite file; stop it by PID afterwards."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"API_TOKEN", "OPENAI_API_KEY"}}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'e2e.db'}",
        GENERATOR="template",
        GENERATION_STEP_DELAY_SECONDS="0.5",
        HEARTBEAT_INTERVAL_SECONDS="1",
        HEARTBEAT_STALE_SECONDS="3",
        MONITOR_INTERVAL_SECONDS="1",
        **env_overrides,
    )
    log_path = workdir / "server.log"
    cmd = [
        str(PYTHON),
        "-m",
        "uvicorn",
        "api.main:app",
        "--app-dir",
        "src",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", proc, log_path, env_overrides.get("API_TOKEN"))
    _servers.append(server)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        status = None
        for _ in range(STARTUP_SECONDS * 10):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            status = _health_status(server.url)
            if status == 200:
                break
            time.sleep(0.1)
        if status != 200:
            pytest.fail(
                f"server did not answer GET /api/health with 200 within {STARTUP_SECONDS} s "
                f"(last status {status}, exit code {proc.poll()}):\n{server.log_tail()}",
                pytrace=False,
            )
        yield server
    finally:
        _stop(proc)
        _servers.remove(server)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    """The shared server for most tests: template generator, 0.5 s per step."""
    with live_server(tmp_path_factory.mktemp("e2e-server")) as srv:
        yield srv


@pytest.fixture(scope="session")
def token_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A server that wants `Authorization: Bearer e2e-token-0123456789` on /api/*."""
    with live_server(
        tmp_path_factory.mktemp("e2e-token-server"), API_TOKEN="e2e-token-0123456789"
    ) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install it with `apt-get update && apt-get install -y "
            "chromium` (`playwright install` cannot work here)",
            pytrace=False,
        )
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh tab (own sessionStorage) at 1000×700; any uncaught page error fails the test."""
    context = browser.new_context(viewport={"width": 1000, "height": 700}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    yield tab
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: docs/screenshots with PROGEN_SCREENSHOTS=1, else a temp dir
    (so an ordinary test run leaves the tree clean)."""
    if os.environ.get("PROGEN_SCREENSHOTS") != "1":
        return tmp_path_factory.mktemp("screenshots")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for srv in _servers:
            report.sections.append((f"server log {srv.url}", srv.log_tail()))
    return report
