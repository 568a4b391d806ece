"""A small reader of server-sent events, for the stream tests and the stream benchmarks.

It parses the `text/event-stream` lines an HTTP client hands it (sync or async) into
`Message`s: an event with its name and data, or a comment (the keep-alive lines).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Message:
    """One event (`event`, `data`) or one comment line (`comment`)."""

    event: str | None = None
    data: str = ""
    comment: str | None = None

    def job(self) -> dict[str, Any]:
        """The Job JSON of a `job` event."""
        assert self.event == "job", self
        return dict(json.loads(self.data))


@dataclass
class Parser:
    """Feeds on lines, hands out each message when its blank line (or comment) ends it."""

    _event: str | None = None
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> Message | None:
        """The message this line completes, if any."""
        line = line.rstrip("\r\n")
        if line.startswith(":"):
            return Message(comment=line[1:].strip())
        if line == "":
            if self._event is None and not self._data:
                return None
            message = Message(event=self._event or "message", data="\n".join(self._data))
            self._event, self._data = None, []
            return message
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


def messages(lines: Iterable[str]) -> Iterator[Message]:
    """The messages of a stream's lines (e.g. `httpx.Response.iter_lines()`)."""
    parser = Parser()
    for line in lines:
        if (message := parser.feed(line)) is not None:
            yield message


async def amessages(lines: AsyncIterator[str]) -> AsyncIterator[Message]:
    """The messages of an async stream's lines (e.g. `httpx.Response.aiter_lines()`)."""
    parser = Parser()
    async for line in lines:
        if (message := parser.feed(line)) is not None:
            yield message
