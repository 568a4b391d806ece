"""Fault injection: one instance (or the database) hurt at a time, at seeded random times."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from scripts.chaos.config import Config
from scripts.chaos.slots import Slot

from harness import postgres
from jobs.models import Job


@dataclass
class Fault:
    """One injected fault, in wall-clock seconds (time.time(), the database's clock here)."""

    kind: str
    slot: int | None
    victim: str | None  # instance id of the process hurt (None for dbrestart)
    started: float
    ended: float = 0.0
    owned_jobs: int = 0  # in_progress jobs the victim owned when hurt
    restart_seconds: float | None = None
    detail: str = ""


def _ctl(action: str, *extra: str) -> str:
    """pg_ctlcluster, summed up in one line for the fault's detail."""
    done = postgres.ctl(action, *extra)
    return f"{action}: rc={done.returncode} {done.stderr.strip()[:200]}".strip()


class Injector:
    """Hurts one instance (or the database) at a time, at seeded random times."""

    def __init__(
        self, config: Config, slots: list[Slot], engine: sa.Engine, log: Callable[[str], None]
    ) -> None:
        self.config, self.slots, self.engine, self.log = config, slots, engine, log
        self.rng = random.Random(config.seed)
        self.faults: list[Fault] = []

    def run_until(self, deadline: float) -> None:
        """Inject faults until `deadline` (time.monotonic()), then wait for it."""
        kinds = list(self.config.faults)
        next_at = time.monotonic() + self.config.warmup
        while kinds and len(self.faults) < self.config.max_faults and next_at < deadline:
            time.sleep(max(0.0, next_at - time.monotonic()))
            fault = self.inject(self.rng.choice(kinds))
            self.faults.append(fault)
            self.log(
                f"fault {len(self.faults)}: {fault.kind} slot {fault.slot} "
                f"({fault.owned_jobs} running jobs) {fault.detail}"
            )
            next_at = time.monotonic() + self.rng.uniform(*self.config.fault_gap)
        time.sleep(max(0.0, deadline - time.monotonic()))

    def _owners(self) -> Counter[str]:
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(Job.owner).where(Job.status == "in_progress"))
                return Counter(str(row[0]) for row in rows if row[0])
        except Exception:  # the database may be down: a victim is then chosen blindly
            return Counter()

    def _victim(self) -> tuple[Slot, int]:
        """A slot that runs jobs right now if there is one (the interesting case)."""
        owners = self._owners()
        live = [slot for slot in self.slots if slot.alive()]
        busy = [slot for slot in live if owners.get(slot.instance_id)]
        slot = self.rng.choice(busy or live)
        return slot, owners.get(slot.instance_id, 0)

    def inject(self, kind: str) -> Fault:
        """One fault of `kind`; a fault that goes wrong is reported and the run goes on."""
        if kind == "dbrestart":
            return self._db_restart()
        slot, owned = self._victim()
        fault = Fault(kind, slot.number, slot.instance_id, time.time(), owned_jobs=owned)
        try:
            if kind == "kill":
                slot.kill()
                fault.restart_seconds = slot.start()
            elif kind == "stop":
                self._pause(slot, fault)
            elif kind == "term":
                exit_seconds = slot.terminate(timeout=self.config.shutdown_grace + 15)
                fault.detail = f"exited in {exit_seconds:.1f} s"
                fault.restart_seconds = slot.start()
            else:
                raise ValueError(f"unknown fault {kind}")
        except Exception as error:
            fault.detail += f"; error: {error}"
            if not slot.alive():
                try:
                    slot.start()
                except Exception as again:
                    fault.detail += f"; restart failed: {again}"
        fault.ended = time.time()
        return fault

    def _pause(self, slot: Slot, fault: Fault) -> None:
        """SIGSTOP past the stale threshold, then SIGCONT: it wakes holding lost leases."""
        pause = self.config.stale_seconds + self.rng.uniform(1.0, 2.5)
        slot.available = False
        slot.signal(signal.SIGSTOP)
        try:
            time.sleep(pause)
        finally:
            slot.signal(signal.SIGCONT)
        fault.detail = f"stopped {pause:.1f} s"
        healthy = slot.wait_healthy(timeout=20)
        slot.available = slot.alive()
        if not healthy:
            fault.detail += "; NOT healthy 20 s after SIGCONT"

    def _db_restart(self) -> Fault:
        fault = Fault("dbrestart", None, None, time.time(), owned_jobs=sum(self._owners().values()))
        try:
            if self.rng.random() < 0.5:
                fault.detail = _ctl("restart", "-m", "fast")
            else:
                down = self.rng.uniform(1.0, 4.0)
                fault.detail = _ctl("stop", "-m", "fast")
                time.sleep(down)
                fault.detail += f"; down {down:.1f} s; " + _ctl("start")
        finally:
            if not postgres.ensure_running():
                fault.detail += "; PostgreSQL NOT running again"
        fault.ended = time.time()
        return fault
