"""Is the port start_fastapi.sh will give uvicorn free? Checked before the app starts.

Usage: check_port.py HOST PORT [uvicorn arguments...]; a `--host`/`--port` among
the uvicorn arguments wins, as it does for uvicorn (the last one counts).
Exit 0 when the address can be bound (or `--uds`/`--fd` is used), else print
one line with the OS's reason and a free port to use instead, and exit 2.
Standard library only: it runs before anything is imported.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys

NEXT_PORTS = 50  # how far to look for a free port to suggest

HINTS = {
    errno.EADDRINUSE: "another process listens there (an earlier progen?): stop it, or",
    errno.EACCES: "ports below 1024 need privileges:",
}
NOT_HERE = "HOST is not an address of this machine: set HOST to one (127.0.0.1, or 0.0.0.0 for all)"


def _bind(host: str, port: int) -> OSError | None:
    """Bind as uvicorn does (SO_REUSEADDR), then let go; the error if it fails."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as error:
        return error
    return None


def _free_port_after(host: str, port: int) -> int | None:
    for candidate in range(port + 1, min(port + 1 + NEXT_PORTS, 65536)):
        if _bind(host, candidate) is None:
            return candidate
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("default_host")
    parser.add_argument("default_port", type=int)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--uds")
    parser.add_argument("--fd")
    args, _ = parser.parse_known_args(argv)
    if args.uds or args.fd:
        return 0
    host, port = args.host or args.default_host, args.port or args.default_port
    error = _bind(host, port)
    if error is None:
        return 0
    print(
        f"progen: cannot listen on {host}:{port} ({error}): {_hint(error, host, port)}",
        file=sys.stderr,
    )
    return 2


def _hint(error: OSError, host: str, port: int) -> str:
    if error.errno == errno.EADDRNOTAVAIL:
        return NOT_HERE
    suggestion = _free_port_after(host, max(port, 1023))
    instead = (
        f"start on another port, e.g. ./start_fastapi.sh --port {suggestion}"
        if suggestion
        else "pick a free port with --port N"
    )
    return f"{HINTS[error.errno]} {instead}" if error.errno in HINTS else instead


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
