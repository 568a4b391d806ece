"""The service's app plus one bare route, to compare polling with FastAPI's own floor."""

from __future__ import annotations

from api.app import create_app
from api.preflight import checked_settings

app = create_app(checked_settings())


def bare() -> dict[str, bool]:
    """The cheapest FastAPI route: no database, no dependencies."""
    return {"ok": True}


app.add_api_route("/bare", bare, methods=["GET"])
app.router.routes.insert(0, app.router.routes.pop())  # ahead of the frontend's mount at "/"
