"""ALLOWED_HOSTS: a request naming another Host gets 400 (stops DNS rebinding).

A page on evil.example whose name an attacker re-points at 127.0.0.1 can send
requests to a local service, but its browser still writes `Host: evil.example`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api import rejections
from api.limits import answer


def host_name(header: str) -> str:
    """The name part of a Host header, lower case: `[::1]:8000` → `[::1]`, `a.b:80` → `a.b`."""
    header = header.strip().lower()
    if header.startswith("["):  # an IPv6 literal keeps its brackets, drops the port
        end = header.find("]")
        return header[: end + 1] if end > 0 else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class AllowedHosts:
    """Pure ASGI middleware: pass requests whose Host is served, answer 400 to the rest.

    Args:
        app: the app behind it.
        hosts: served names as `host_name` writes them; None serves any.
    """

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.hosts is None:
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host_name(header) in self.hosts:
            await self.app(scope, receive, send)
            return
        rejections.count("host")
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await answer(
            send,
            400,
            b'{"detail":"This service does not serve the Host this request names: '
            b'add it to ALLOWED_HOSTS"}',
        )
