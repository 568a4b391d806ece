"""Security headers on every answer: no sniffing, no referrer, no framing, own scripts only.

The app's page has no inline script or style, so its policy allows only the
service's own files. The docs pages (Swagger UI, ReDoc) start with one inline
script and style themselves at run time: their policy allows that script by its
sha256, computed from the HTML actually served, and inline styles.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
FIXED = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors, for browsers that predate it
]
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: bytes) -> bytes:
    """The docs policy, allowing exactly the inline scripts of this HTML."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in INLINE_SCRIPT.findall(html)
    )
    return DOCS_POLICY.format(hashes=hashes).encode()


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every HTTP answer.

    Args:
        app: the app behind it.
        docs_paths: paths whose HTML gets the docs policy (e.g. /docs, /redoc).
    """

    def __init__(self, app: ASGIApp, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.docs_paths:
            await self.app(scope, receive, _DocsAnswer(send).send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *FIXED,
                    (b"content-security-policy", APP_POLICY.encode()),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class _DocsAnswer:
    """Holds a docs page's start until its (small, single) body is known, to hash it."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._body = b""

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._body += message.get("body", b"")
        if message.get("more_body", False):
            return
        start, self._start = self._start, None
        start["headers"] = [
            *start.get("headers", []),
            *FIXED,
            (b"content-security-policy", docs_policy(self._body)),
        ]
        await self._send(start)
        await self._send({"type": "http.response.body", "body": self._body})
