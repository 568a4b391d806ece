"""API tests build apps from explicit settings: nothing from the developer's env or .env."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

import factories
from api.app import create_app

AppFactory = Callable[..., Any]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in factories.PROGEN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def start(db_url) -> AppFactory:
    """`with start(**settings) as client:` runs an app (and its lifespan) on the test db;
    `client=(address, port)` sets the caller's address (admission counts per client),
    and `raise_server_exceptions=False` lets a test see the 500 a client would."""

    @contextmanager
    def _start(
        *,
        client: tuple[str, int] = ("127.0.0.1", 40000),
        raise_server_exceptions: bool = True,
        **overrides: Any,
    ) -> Iterator[TestClient]:
        app = create_app(factories.app_settings(db_url, **overrides))
        with TestClient(
            app, client=client, raise_server_exceptions=raise_server_exceptions
        ) as test_client:
            yield test_client

    return _start
