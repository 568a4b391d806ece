"""The service's app plus one bare route, to compare polling with FastAPI's own floor."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from api.app import create_app
from api.preflight import checked_settings

if os.environ.get("BENCH_WRITE_LOCK"):  # experiments only: one in-process writer at a time
    from sqlalchemy.orm import Session

    from db import database

    _lock, _write = threading.Lock(), database.Sessions.write

    @contextmanager
    def _serialised(self: database.Sessions) -> Iterator[Session]:
        with _lock, _write(self) as session:
            yield session

    database.Sessions.write = _serialised  # type: ignore[method-assign,assignment]

app = create_app(checked_settings())


def bare() -> dict[str, bool]:
    """The cheapest FastAPI route: no database, no dependencies."""
    return {"ok": True}


app.add_api_route("/bare", bare, methods=["GET"])
app.router.routes.insert(0, app.router.routes.pop())  # ahead of the frontend's mount at "/"

if _interval := os.environ.get("BENCH_SWITCH_INTERVAL"):  # experiments only: GIL hand-off
    sys.setswitchinterval(float(_interval))
