"""One harness for real progen processes, shared by the integration tests, the browser
tests, the benchmarks and the chaos suite.

- `servers`: start `./start_fastapi.sh` on a free 127.0.0.1 port with a cleaned
  environment, probe its health, signal it, stop it by the PID we started;
- `postgres`: the local PostgreSQL cluster (ready, start, stop) and throw-away databases;
- `waiting`: the bounded poll every wait goes through.

Importable as `harness`: pytest puts tests/ on the path (pyproject.toml); bench/ and
scripts/ add it themselves.
"""

from harness.servers import FAST, ROOT, Server, ServerError, free_port, server_env
from harness.waiting import wait_for

__all__ = ["FAST", "ROOT", "Server", "ServerError", "free_port", "server_env", "wait_for"]
