"""Admission control for submits and retries: a cap on pending jobs, a rate per client.

Both answer `429` with `Retry-After` and a sentence, before anything is created
or changed. A request holds a `Ticket` while it runs:

    with admission.reserve(client) as ticket:       # rate limit (429 rate_limit)
        ticket.check_queue(pending_now)             # queue cap (429 queue_full)
        ...create or retry the job...
        ticket.accepted = True                      # else its rate slot is given back

How exact: within one process the cap is never exceeded. Each request counts
itself in `in_flight` before it reads the pending count, so two racing
submits each see the other (at worst one is refused early, while another's
insert commits). Across processes (`--workers N`, several hosts) each process
sees only its own in-flight submits: the cap can be exceeded by the submits in
flight in the other processes at that instant (at most their
`--limit-concurrency` each, in practice a handful). The rate limit is kept per
process: with N workers a client can get up to N times the rate; the proxy in
front (deploy/nginx.conf) limits per address across all of them.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from api import rejections

WINDOW_SECONDS = 60.0  # SUBMIT_RATE_PER_MINUTE is per sliding minute
QUEUE_FULL_RETRY_SECONDS = 30  # a full queue drains in minutes; retries spread over this
IPV6_CLIENT_PREFIX = 64  # one IPv6 client holds a whole /64: key it by that


class Rejected(Exception):
    """A submit or retry refused before it did anything (answered 429)."""

    def __init__(self, reason: rejections.Reason, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


def client_key(address: str | None) -> str:
    """The key a client's rate is counted under: its address (an IPv6 one's /64)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # e.g. a unix socket's path
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(ip)


@dataclass
class Ticket:
    """One admitted request; `accepted` says whether it created or changed a job."""

    admission: Admission
    key: str
    slot: float | None  # its timestamp in the client's window (None: no rate limit)
    accepted: bool = False

    def check_queue(self, pending: int) -> None:
        """Refuse if the pending jobs plus the requests in flight would pass the cap."""
        self.admission.check_queue(pending)


@dataclass
class Admission:
    """The process's admission state (one per app).

    Args:
        max_pending: MAX_PENDING_JOBS.
        rate_per_minute: SUBMIT_RATE_PER_MINUTE; 0 turns the rate limit off.
    """

    max_pending: int
    rate_per_minute: int
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _accepted: dict[str, deque[float]] = field(default_factory=dict)
    _in_flight: int = 0
    _pruned_at: float = field(default_factory=time.monotonic)

    @contextmanager
    def reserve(self, address: str | None) -> Iterator[Ticket]:
        """Take a rate slot and count the request in flight, for as long as it runs."""
        key = client_key(address)
        with self._lock:
            slot = self._take_slot(key, time.monotonic())
            self._in_flight += 1
        ticket = Ticket(self, key, slot)
        try:
            yield ticket
        finally:
            with self._lock:
                self._in_flight -= 1
                if not ticket.accepted and slot is not None:
                    self._give_back(key, slot)

    def check_queue(self, pending: int) -> None:
        """429 `queue_full` when pending jobs plus requests in flight pass the cap."""
        with self._lock:
            in_flight = self._in_flight
        if pending + in_flight > self.max_pending:
            rejections.count("queue_full")
            raise Rejected(
                "queue_full",
                f"The queue is full: {self.max_pending} jobs are waiting to run "
                "(MAX_PENDING_JOBS). Nothing was created; try again later.",
                QUEUE_FULL_RETRY_SECONDS,
            )

    def _take_slot(self, key: str, now: float) -> float | None:
        if self.rate_per_minute == 0:
            return None
        self._prune(now)
        window = self._accepted.setdefault(key, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= self.rate_per_minute:
            rejections.count("rate_limit")
            wait = math.ceil(window[0] + WINDOW_SECONDS - now)
            raise Rejected(
                "rate_limit",
                f"Too many submits: at most {self.rate_per_minute} a minute per client "
                f"(SUBMIT_RATE_PER_MINUTE). Nothing was created; try again in {wait} s.",
                max(1, wait),
            )
        window.append(now)
        return now

    def _give_back(self, key: str, slot: float) -> None:
        window = self._accepted.get(key)
        if window is not None and slot in window:
            window.remove(slot)

    def _prune(self, now: float) -> None:
        """Forget clients idle for a window, once a window: memory follows the active ones."""
        if now - self._pruned_at < WINDOW_SECONDS:
            return
        self._pruned_at = now
        idle = [key for key, w in self._accepted.items() if not w or w[-1] <= now - WINDOW_SECONDS]
        for key in idle:
            del self._accepted[key]
