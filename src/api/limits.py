"""Reject request bodies over 64 KiB with 413, before any route reads them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024


class BodyLimit:
    """Pure ASGI middleware: checks Content-Length, and counts chunked bodies too."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and not length.isdigit():
            await answer(send, 400, b'{"detail":"Content-Length is not a number"}')
            return
        if length is not None and int(length) > self.max_bytes:
            await _too_large(send)
            return
        body, more = bytearray(), True
        messages: list[Message] = []
        while more:  # read the whole (small) body first, so the limit holds without a length
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await _too_large(send)
                return
        messages.insert(0, {"type": "http.request", "body": bytes(body), "more_body": False})

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send) -> None:
    await answer(send, 413, b'{"detail":"Request body is larger than 64 KiB"}')


async def answer(send: Send, status: int, body: bytes) -> None:
    """Answer with this status and JSON body, without the app."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
