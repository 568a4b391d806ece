"""A small keep-alive HTTP/1.1 load client on bare asyncio protocols (far cheaper than httpx).

It shares a 2-core machine with the server it measures, so every request costs it as
little as we can make it: one pre-encoded write, responses parsed in `data_received`
(no stream reader), one worker per connection (no task per request), and uvloop
when installed (`run`). Answers must carry Content-Length (the service's all do).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

T = TypeVar("T")
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
SLACK_SECONDS = 30  # how long a run may overrun its own length before it is abandoned
MAX_RATE = 100_000  # requests/s per connection no probe reaches: a count bound on its loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on uvloop when installed (uvicorn[standard] brings it): a leaner client."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


@dataclass
class Tally:
    """What a load run saw: latencies (s), status codes, bodies' ids when asked, and (open
    loop) how late each request left against its schedule."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    late: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, status: int, latency: float) -> None:
        """Count one answer."""
        self.latencies.append(latency)
        self.statuses[status] = self.statuses.get(status, 0) + 1


def encode(method: str, path: str, body: bytes | None = None) -> bytes:
    """One request's bytes, built once per run."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + (body or b"")


class Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its answer parsed as bytes arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None

    @classmethod
    async def open(cls, port: int) -> Connection:
        """Connect to 127.0.0.1:port."""
        _, conn = await asyncio.get_running_loop().create_connection(cls, "127.0.0.1", port)
        return conn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of it

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        found = _LENGTH.search(self.buffer, 0, end + 2)
        total = end + 4 + (int(found[1]) if found else 0)
        if len(self.buffer) < total:
            return
        status, body = int(self.buffer[9:12]), bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        if self.answer is not None and not self.answer.done():
            self.answer.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc or ConnectionError("server closed the connection"))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send one encoded request and wait for its answer."""
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.answer

    def close(self) -> None:
        """Close the socket."""
        if self.transport is not None:
            self.transport.close()


async def _drive(
    port: int, count: int, seconds: float, work: Callable[[Connection, float], Awaitable[None]]
) -> float:
    """Open `count` connections, then run `work(connection, started)` on each at once;
    abandoned SLACK_SECONDS after `seconds`. Returns the seconds from start to the end
    (the connecting happens before the clock starts)."""
    pool = [await Connection.open(port) for _ in range(count)]
    try:
        started = time.perf_counter()
        async with asyncio.timeout(seconds + SLACK_SECONDS):
            await asyncio.gather(*(work(conn, started) for conn in pool))
        return time.perf_counter() - started
    finally:
        for conn in pool:
            conn.close()


async def closed_loop(
    port: int,
    method: str,
    path: str,
    *,
    connections: int,
    total: int,
    body: dict[str, Any] | None = None,
    keep_ids: bool = False,
    max_seconds: float = 120,
) -> Tally:
    """`total` requests as fast as `connections` keep-alive connections allow."""
    tally = Tally()
    raw = encode(method, path, json.dumps(body).encode() if body is not None else None)
    indices = iter(range(total))

    async def worker(conn: Connection, started: float) -> None:
        for _ in indices:
            if (sent := time.perf_counter()) > started + max_seconds:
                return
            status, answer = await conn.request(raw)
            tally.add(status, time.perf_counter() - sent)
            if keep_ids and status < 300:
                tally.ids.append(json.loads(answer)["id"])

    tally.seconds = await _drive(port, connections, max_seconds, worker)
    return tally


def _requests(paths: str | list[str], body: dict[str, Any] | None = None) -> Iterator[bytes]:
    """GETs of `paths` in turn, or POSTs of `body` to them."""
    raw = json.dumps(body).encode() if body is not None else None
    method = "GET" if body is None else "POST"
    return itertools.cycle(
        [encode(method, p, raw) for p in ([paths] if isinstance(paths, str) else paths)]
    )


async def timed_loop(
    port: int, paths: str | list[str], *, connections: int, seconds: float
) -> Tally:
    """GET `paths` (in turn) as fast as possible for `seconds` (a throughput probe)."""
    tally, requests = Tally(), _requests(paths)

    async def worker(conn: Connection, started: float) -> None:
        for _ in range(int(seconds * MAX_RATE)):
            if (sent := time.perf_counter()) > started + seconds:
                return
            status, _ = await conn.request(next(requests))
            tally.add(status, time.perf_counter() - sent)

    tally.seconds = await _drive(port, connections, seconds, worker)
    return tally


async def open_loop(
    port: int,
    paths: str | list[str],
    *,
    rate: float,
    seconds: float,
    connections: int = 32,
    body: dict[str, Any] | None = None,
    due: Sequence[float] | None = None,
) -> Tally:
    """GET `paths` (in turn) at a fixed `rate` per second for `seconds`; with `body`, POST
    it instead; with `due` (seconds from the start, ascending), send at those times
    instead of every 1 / rate (e.g. Poisson arrivals).

    Request i is due at start + i / rate, and its latency counts from then, not from
    when it left: a stalled server, or every connection busy, shows up in the tail (no
    coordinated omission). `Tally.late` says how late each left: ~0.2 ms is the timer and
    the client itself; more means every connection was waiting on the server.
    """
    tally, requests = Tally(), _requests(paths, body)
    offsets = due if due is not None else [index / rate for index in range(int(rate * seconds))]
    schedule = iter(offsets)

    async def worker(conn: Connection, started: float) -> None:
        for offset in schedule:
            at = started + offset
            if (wait := at - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            sent = time.perf_counter()
            status, _ = await conn.request(next(requests))
            tally.add(status, time.perf_counter() - at)
            tally.late.append(sent - at)

    tally.seconds = await _drive(port, connections, seconds, worker)
    return tally
