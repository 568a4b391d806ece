"""deploy/nginx-progen.conf, run by the real nginx in front of a real server: slow heads,
stalled bodies, huge headers and 1,000 half-open connections are cut off at the proxy
while normal requests still pass, and the client's address reaches the service.

nginx runs in the foreground on a free port of 127.0.0.1 with the shipped site file
(only its two addresses changed) inside a minimal main configuration in a temporary
directory, and is stopped by the PID we started. SQLite only: this is about the edge.
"""

from __future__ import annotations

import selectors
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live import REQUEST, ROOT, Server, free_port, wait_for

from harness.sse import messages

pytestmark = pytest.mark.integration

SITE = ROOT / "deploy" / "nginx-progen.conf"
HEADER_TIMEOUT_SECONDS = 10  # client_header_timeout and client_body_timeout in SITE
MARGIN_SECONDS = 6  # nginx checks its timers coarsely; a loaded CI machine is slower
HALF_OPEN = 1000
STEP_DELAY = "0.3"  # a 16-week job runs 17 steps: its stream is open for seconds
MAIN = """daemon off;
user root;
worker_processes 1;
worker_rlimit_nofile 8192;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 4096; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/progen.conf;
}}
"""


def _site(listen: int, upstream: int) -> str:
    """The shipped site file, listening on 127.0.0.1:`listen`, in front of `upstream`."""
    text = SITE.read_text()
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{listen};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("edge-server")
    live = Server(
        f"sqlite:///{tmp / 'edge.db'}",
        tmp / "server.log",
        extra_args=("--limit-concurrency", "200", "--timeout-keep-alive", "75"),
        SUBMIT_RATE_PER_MINUTE="2",
        GENERATION_STEP_DELAY_SECONDS=STEP_DELAY,
    )
    live.start()
    yield live
    live.close()


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory) -> Iterator[str]:
    """nginx in front of `server`; its base URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed: apt-get install -y nginx (scripts/test.sh does)")
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (tmp / "progen.conf").write_text(_site(port, server.port))
    (tmp / "nginx.conf").write_text(MAIN.format(tmp=tmp))
    command = [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(answers, timeout=20, what="nginx in front of the server")
        yield url
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful stop of the master we started
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _client_from(address: str, base_url: str) -> httpx.Client:
    """A client whose connections come from this loopback address (all of 127/8 is ours)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=10)


def test_normal_requests_pass_and_each_client_is_known_by_its_own_address(proxy):
    spoof = {"X-Forwarded-For": "203.0.113.99"}  # what a client claims counts for nothing
    with _client_from("127.0.0.2", proxy) as one, _client_from("127.0.0.3", proxy) as two:
        health = one.get("/api/health")
        assert health.status_code == 200
        assert health.headers["x-content-type-options"] == "nosniff"
        first = [one.post("/api/programs/generate", json=REQUEST, headers=spoof) for _ in range(2)]
        assert [answer.status_code for answer in first] == [202, 202]
        third = one.post("/api/programs/generate", json=REQUEST, headers={"X-Forwarded-For": "x"})
        assert third.status_code == 429  # SUBMIT_RATE_PER_MINUTE=2, counted for 127.0.0.2
        assert "SUBMIT_RATE_PER_MINUTE" in third.json()["detail"]
        assert two.post("/api/programs/generate", json=REQUEST).status_code == 202  # its own


def test_stream_events_pass_the_proxy_as_they_happen(proxy, server):
    with _client_from("127.0.0.5", proxy) as client:
        job_id = client.post("/api/programs/generate", json={**REQUEST, "weeks": 16}).json()["id"]
        statuses = []
        url = f"/api/programs/jobs/{job_id}/stream"
        with client.stream("GET", url, timeout=httpx.Timeout(10, read=20)) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            for message in messages(answer.iter_lines()):
                if message.event == "job":
                    if not statuses:  # the first event came through while the job runs on
                        assert server.job(job_id)["status"] in {"pending", "in_progress"}
                    statuses.append(message.job()["status"])
    assert statuses[-1] == "completed"
    assert len(statuses) > 2


@pytest.mark.parametrize("size", [64 * 1024, 1024 * 1024, 16 * 1024 * 1024])
def test_a_huge_header_is_refused_at_the_proxy(proxy, size):
    answer = httpx.get(f"{proxy}/api/health", headers={"X-Junk": "a" * size}, timeout=10)
    assert answer.status_code == 400
    assert httpx.get(f"{proxy}/api/health", timeout=5).status_code == 200


def test_a_body_over_64_kib_is_refused_at_the_proxy(proxy):
    answer = httpx.post(
        f"{proxy}/api/programs/generate",
        content=b"{" + b" " * 100_000 + b"}",
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 413


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setblocking(False)
    return sock


def test_slow_heads_stalled_bodies_and_half_open_connections_are_cut_off(proxy):
    port = int(proxy.rsplit(":", 1)[1])
    started = time.monotonic()
    half_open = [_connect(port) for _ in range(HALF_OPEN)]  # connect, then say nothing
    slow_head = _connect(port)
    slow_head.send(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    stalled_body = _connect(port)
    stalled_body.send(
        b"POST /api/programs/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"goal":'
    )
    held = dict.fromkeys(half_open, "half-open")
    held |= {slow_head: "slow head", stalled_body: "stalled body"}
    closed_after: dict[str, list[float]] = {}
    served: list[float] = []
    selector = selectors.DefaultSelector()
    for sock in held:
        selector.register(sock, selectors.EVENT_READ)
    deadline = started + HEADER_TIMEOUT_SECONDS + MARGIN_SECONDS
    next_drip = next_poll = started
    try:
        while held and time.monotonic() < deadline:
            now = time.monotonic()
            if slow_head in held and now >= next_drip:  # a header byte a second, forever
                try:
                    slow_head.send(b"X")
                except OSError:
                    pass  # already cut: the selector reports it
                next_drip = now + 1
            if now >= next_poll and now < started + HEADER_TIMEOUT_SECONDS - 2:
                began = time.monotonic()  # a normal client, while all of that is held
                assert httpx.get(f"{proxy}/api/health", timeout=5).status_code == 200
                served.append(time.monotonic() - began)
                next_poll = now + 1
            for key, _ in selector.select(timeout=0.2):
                sock = key.fileobj
                try:
                    data = sock.recv(65536)
                except (ConnectionResetError, BlockingIOError):
                    data = b""
                assert not data.startswith(b"HTTP/1.1 2"), (held[sock], data[:100])
                selector.unregister(sock)
                closed_after.setdefault(held.pop(sock), []).append(time.monotonic() - started)
                sock.close()
    finally:
        for sock in held:
            sock.close()
        selector.close()
    assert not held, f"{len(held)} connections still open after {deadline - started:.0f} s"
    assert len(served) >= 3 and max(served) < 1, served
    cut = {kind: f"{min(after):.1f}-{max(after):.1f}" for kind, after in closed_after.items()}
    print(f"cut off after (s): {cut}; normal requests meanwhile, max {max(served):.3f} s")
    assert httpx.get(f"{proxy}/api/health", timeout=5).status_code == 200
