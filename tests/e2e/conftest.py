"""Browser tests: a real server process and Debian's chromium driven by Playwright.

Nothing here skips: without chromium or playwright the tests fail and say what to install.
The sync Playwright API keeps an event loop running, so this directory runs in its own
pytest process (`pytest tests/e2e`), apart from the anyio tests.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import ROOT, Server

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # fail loudly, never skip
    raise ImportError("playwright is missing: .venv/bin/pip install playwright==1.65.2") from exc

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

_servers: list[Server] = []  # for the server-log section of failed tests


@contextlib.contextmanager
def live_server(workdir: Path, **env: str) -> Iterator[Server]:
    """A harness server on a fresh SQLite file, 0.5 s per generation step; stopped by PID."""
    server = Server(
        f"sqlite:///{workdir / 'e2e.db'}",
        workdir / "server.log",
        GENERATION_STEP_DELAY_SECONDS="0.5",
        **env,
    )
    _servers.append(server)
    try:
        server.start(timeout=STARTUP_SECONDS, interval=0.1)
        yield server
    finally:
        server.close()
        _servers.remove(server)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """The shared server for most tests: template generator, 0.5 s per step."""
    with live_server(tmp_path_factory.mktemp("e2e-server")) as srv:
        yield srv


@pytest.fixture(scope="session")
def token_server(tmp_path_factory) -> Iterator[Server]:
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
            report.sections.append((f"server log {srv.url}", srv.tail(60)))
    return report


@pytest.fixture
def own_server(tmp_path) -> Iterator[Server]:
    """A server of this test's own: no other test's jobs in its list or its health counts
    (tests that count polls or health checks must see only their own jobs)."""
    with live_server(tmp_path) as srv:
        yield srv
