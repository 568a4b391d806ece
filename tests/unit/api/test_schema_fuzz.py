"""Schemathesis over the OpenAPI schema against a real server on 127.0.0.1: no input
gets a 5xx, and every refusal is JSON with a `detail`.

SQLite only: this is about the HTTP edge, which is the same on both databases
(the hostile-input tests run on both). Seeded, and kept to about half a minute.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings

import factories
from api.app import create_app

EXAMPLES = 40  # per operation and phase; the whole run stays well under a minute
START_TIMEOUT_SECONDS = 20


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    """A real server (uvicorn, in a thread) on a free port of 127.0.0.1."""
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app = create_app(factories.app_settings(f"sqlite:///{database}"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


# The schema the server serves (building the app touches no database; its lifespan does).
# Schemathesis' lazy fixture loader does not run on pytest 9, so the schema is read here.
schema = schemathesis.openapi.from_dict(create_app(factories.app_settings("sqlite://")).openapi())
schema.config.generation.update(  # valid and invalid input, anything in headers and strings
    modes=list(schemathesis.GenerationMode), allow_x00=True, codec="utf-8"
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case, base_url) -> None:
    response = case.call(base_url=base_url, timeout=10)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400:
        assert response.json()["detail"], response.text[:300]
