"""Server slots: a place for one progen process, which faults replace with a new one."""

from __future__ import annotations

import signal
from pathlib import Path

from harness import Server, wait_for

START_TIMEOUT = 40.0


class Slot:
    """One slot: its current process (a harness Server, new port and new instance id on
    each start) and every instance id it has had."""

    def __init__(self, number: int, db_url: str, settings: dict[str, str], log_dir: Path) -> None:
        self.number = number
        self.db_url = db_url
        self.settings = settings
        self.log = log_dir / f"instance-{number}.log"
        self.server: Server | None = None
        self.instance_id = ""
        self.ids: list[str] = []
        self.available = False  # false while down or stopped: do not send it requests

    def start(self) -> float:
        """Start a new process and wait for a 200 from /api/health; the seconds it took."""
        if self.server is not None:
            self.server.client.close()
        self.server = Server(self.db_url, self.log, settings=self.settings)
        seconds = self.server.start(timeout=START_TIMEOUT, interval=0.1)
        health = self.server.health()
        if health is None:
            raise RuntimeError(f"instance {self.number} stopped answering; see {self.log}")
        self.instance_id = str(health[1]["instance_id"])
        self.ids.append(self.instance_id)
        self.available = True
        return seconds

    def wait_healthy(self, timeout: float) -> bool:
        """Whether /api/health answers 200 within `timeout` seconds."""

        def healthy() -> bool:
            health = self.server.health() if self.server is not None else None
            return health is not None and health[0] == 200

        try:
            return wait_for(healthy, timeout=timeout, interval=0.2, what="health")
        except TimeoutError:
            return False

    def alive(self) -> bool:
        """Its process runs (it may be stopped)."""
        return self.server is not None and self.server.alive()

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig` to the current process."""
        if self.server is not None:
            self.server.signal(sig)

    def kill(self) -> None:
        """kill -9 and reap."""
        self.available = False
        if self.server is not None:
            self.server.kill()

    def terminate(self, timeout: float) -> float:
        """SIGCONT + SIGTERM, then kill -9 past `timeout`; the seconds until it exited."""
        self.available = False
        return self.server.terminate(timeout) if self.server is not None else 0.0

    def close(self) -> None:
        """Stop what is left (end of the run)."""
        self.available = False
        if self.server is not None:
            self.server.close()
