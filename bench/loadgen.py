"""A small keep-alive HTTP/1.1 load client on raw asyncio streams (far cheaper than httpx)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    """What a load run saw: latencies (s), status codes, bodies' ids when asked."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, status: int, latency: float) -> None:
        """Count one answer."""
        self.latencies.append(latency)
        self.statuses[status] = self.statuses.get(status, 0) + 1


class Connection:
    """One keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send one request and read its answer (Content-Length bodies only)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write((head + "\r\n").encode() + (body or b""))
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length) if length else b""

    async def close(self) -> None:
        """Close the socket."""
        if self.writer is not None:
            self.writer.close()
            await asyncio.gather(self.writer.wait_closed(), return_exceptions=True)


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
    tally, payload = Tally(), (json.dumps(body).encode() if body is not None else None)
    left = [total]
    deadline = time.monotonic() + max_seconds

    async def worker() -> None:
        conn = Connection(port)
        try:
            while left[0] > 0 and time.monotonic() < deadline:
                left[0] -= 1
                sent = time.perf_counter()
                status, answer = await conn.request(method, path, payload)
                tally.add(status, time.perf_counter() - sent)
                if keep_ids and status < 300:
                    tally.ids.append(json.loads(answer)["id"])
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    tally.seconds = time.perf_counter() - started
    return tally


def _cycle(paths: str | list[str]) -> Iterator[str]:
    return itertools.cycle([paths] if isinstance(paths, str) else paths)


async def timed_loop(
    port: int, paths: str | list[str], *, connections: int, seconds: float
) -> Tally:
    """GET `paths` (in turn) as fast as possible for `seconds` (a throughput probe)."""
    tally, deadline, cycle = Tally(), time.monotonic() + seconds, _cycle(paths)

    async def worker() -> None:
        conn = Connection(port)
        try:
            while time.monotonic() < deadline:
                sent = time.perf_counter()
                status, _ = await conn.request("GET", next(cycle))
                tally.add(status, time.perf_counter() - sent)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    tally.seconds = time.perf_counter() - started
    return tally


async def open_loop(
    port: int, paths: str | list[str], *, rate: float, seconds: float, connections: int = 32
) -> Tally:
    """GET `paths` (in turn) at a fixed `rate` per second for `seconds`; latency counts from the
    scheduled send time, so a stalled server shows up in the tail (no coordinated omission)."""
    tally, pool = Tally(), asyncio.Queue[Connection]()
    for _ in range(connections):
        pool.put_nowait(Connection(port))
    count, cycle = int(rate * seconds), _cycle(paths)
    started = time.perf_counter()

    async def one(scheduled: float, path: str) -> None:
        conn = await pool.get()
        try:
            status, _ = await conn.request("GET", path)
            tally.add(status, time.perf_counter() - scheduled)
        finally:
            pool.put_nowait(conn)

    tasks = []
    for index in range(count):
        scheduled = started + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, next(cycle))))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 30)
    tally.seconds = time.perf_counter() - started
    while not pool.empty():
        await pool.get_nowait().close()
    return tally
