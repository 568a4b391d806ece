"""The bench app (the service plus /bare) plus /bare-async: the two cheapest routes.

/bare is a plain `def`, so Starlette runs it in the worker thread pool: its latency is
what any sync route (GET a job, list, events, exports) waits for a thread. /bare-async
runs on the event loop itself: its latency, probed at a fixed rate from outside, is the
loop's lag as a client sees it (HTTP parsing included, no thread, no database).
"""

from __future__ import annotations

from bench.bare_app import app


async def bare_async() -> dict[str, bool]:
    """Nothing, on the event loop."""
    return {"ok": True}


app.add_api_route("/bare-async", bare_async, methods=["GET"])
app.router.routes.insert(0, app.router.routes.pop())  # ahead of the frontend's mount at "/"
