"""The service's app plus /bench/statements: what this process has sent to its database.

A listener on SQLAlchemy's Engine class counts every statement of every engine in the
process (the routes', the runner's, the ticks'), by kind; `bench.streams` reads the
counts before and after a window to learn what the open streams cost. Benchmarks only:
the service itself never counts.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from api.app import create_app
from api.preflight import checked_settings

_lock = threading.Lock()
_sent: Counter[str] = Counter()


@event.listens_for(sa.Engine, "before_cursor_execute")
def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    words = statement.split(None, 1)
    with _lock:
        _sent[words[0].upper() if words else "?"] += 1


async def statements() -> dict[str, int]:
    """Statements sent so far, by their first word (SELECT, UPDATE, BEGIN, PRAGMA …)."""
    with _lock:
        return dict(_sent)


app = create_app(checked_settings())
app.add_api_route("/bench/statements", statements, methods=["GET"])
app.router.routes.insert(0, app.router.routes.pop())  # ahead of the frontend's mount at "/"
