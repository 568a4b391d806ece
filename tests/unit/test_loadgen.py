"""The benchmark's load client: parses split answers, counts latency from the schedule, ends."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from bench import loadgen

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def _server(stall_first: float = 0.0, answer: bool = True) -> AsyncIterator[int]:
    """A keep-alive HTTP server on a free port: each answer in two writes, the first late."""
    served, handlers = 0, set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        handlers.add(asyncio.current_task())
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                found = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
                await reader.readexactly(int(found[1]) if found else 0)
                served += 1
                number = served
                if not answer:
                    continue
                if number == 1:
                    await asyncio.sleep(stall_first)
                body = json.dumps({"id": str(number)}).encode()
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n")
                await writer.drain()
                writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]
        if handlers:
            await asyncio.wait(handlers, timeout=2)  # they end at the client's close


async def test_closed_loop_sends_exactly_total_and_reads_split_answers():
    async with _server() as port:
        tally = await loadgen.closed_loop(
            port, "POST", "/x", connections=3, total=20, body={"a": 1}, keep_ids=True
        )
    assert tally.statuses == {202: 20}
    assert sorted(map(int, tally.ids)) == list(range(1, 21))


async def test_open_loop_counts_latency_from_the_due_time_not_the_send_time():
    async with _server(stall_first=0.3) as port:
        tally = await loadgen.open_loop(port, "/x", rate=50, seconds=0.4, connections=1)
    assert tally.statuses == {202: 20}
    # The second request was due 20 ms in, but its only connection was stuck until 0.3 s:
    # that wait is the server's stall, and it counts.
    assert tally.late[1] > 0.25
    assert tally.latencies[1] > 0.25
    assert tally.latencies[-1] < tally.latencies[1]  # the backlog drains


async def test_a_server_that_never_answers_ends_the_run(monkeypatch):
    monkeypatch.setattr(loadgen, "SLACK_SECONDS", 0.2)
    async with _server(answer=False) as port:
        with pytest.raises(TimeoutError):
            await loadgen.timed_loop(port, "/x", connections=2, seconds=0.1)
