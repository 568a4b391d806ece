#!/usr/bin/env python3
"""Fault injection against real progen processes on 127.0.0.1, then proof from the database.

A run starts N servers (`./start_fastapi.sh`) on one database, submits a
stream of template jobs over `--duration` seconds and, at random times drawn
from `--seed`, hurts one server at a time:

- `kill`: kill -9, then start a new process in its place;
- `stop`: SIGSTOP for longer than HEARTBEAT_STALE_SECONDS, then SIGCONT;
- `term`: SIGTERM (graceful shutdown), then start again;
- `dbrestart` (PostgreSQL on this host, opt-in): restart the PostgreSQL cluster.

When the faults stop it waits (bounded) for every job to end and checks, from
the rows and the `job_events` of the jobs it submitted: every job exists and
is terminal, none is `in_progress`, no job completed twice, every status
change after a hand-back belongs to a later claim (no write by a lost
lease), `progress.step` never went backwards (sampled from the database all
through the run), every completed result has its weeks, and every server is
healthy at the end. It reports reclaim latencies (fault to `owner_dead`
event) and the steps redone. Exit status 0 when every check passes, 1 when
one fails, 2 when the run could not be set up.

    .venv/bin/python scripts/chaos.py --db postgresql --instances 3 --jobs 300 \\
        --duration 300 --seed 7 --faults kill,stop,term,dbrestart --json-out chaos.json

Importable: `run(Config(...)) -> Summary` (tests/integration/test_chaos.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from db import migrate  # noqa: E402
from db.database import make_engine  # noqa: E402
from jobs.models import Job, JobEvent  # noqa: E402

FAULT_KINDS = ("kill", "stop", "term", "dbrestart")
TERMINAL = frozenset({"completed", "failed", "cancelled"})
WORKER_REASONS = frozenset(
    {"completed", "retryable_error", "permanent_error", "timeout", "cancelled"}
)
RECLAIM_REASONS = frozenset({"owner_dead", "manual_cleanup"})
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CLEARED_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "API_TOKEN", "DATABASE_URL", "GENERATOR")
GOALS = ("strength", "hypertrophy", "endurance", "fat_loss", "general_fitness")
LEVELS = ("beginner", "intermediate", "advanced")
HTTP_TIMEOUT = 5.0
START_TIMEOUT = 40.0
PG_READY_TIMEOUT = 60.0


@dataclass
class Config:
    """One chaos run. Every wait is bounded by these numbers."""

    db: str = "postgresql"  # "postgresql" | "sqlite"
    instances: int | None = None  # default: 3 on PostgreSQL, 2 on SQLite
    jobs: int = 60
    duration: float = 60.0  # seconds during which jobs arrive and faults happen
    seed: int = 1
    faults: tuple[str, ...] = ("kill", "stop", "term")
    database_url: str | None = None  # default: a throw-away database / a temp SQLite file
    admin_url: str = ADMIN_URL  # where a throw-away PostgreSQL database is created
    step_delay: float = 0.25  # GENERATION_STEP_DELAY_SECONDS
    weeks: tuple[int, int] = (3, 8)  # each job has weeks+1 steps
    fault_gap: tuple[float, float] = (3.0, 7.0)  # seconds between two faults
    max_faults: int = 200
    warmup: float = 2.0  # seconds before the first fault
    settle_timeout: float = 120.0  # after the faults: every job must end within this
    heartbeat_interval: float = 1.0
    stale_seconds: float = 3.0
    monitor_interval: float = 1.0
    concurrency: int = 4
    max_attempts: int = 10  # chaos costs attempts; a job that runs out is reported
    shutdown_grace: float = 0.5  # short, so that some SIGTERMs hand jobs back
    backoff: float = 0.5
    sample_interval: float = 0.25
    workdir: Path | None = None  # logs (and the SQLite file); default a temp dir
    json_out: Path | None = None
    quiet: bool = False

    def instance_count(self) -> int:
        if self.instances is not None:
            return self.instances
        return 3 if self.db == "postgresql" else 2


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


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Summary:
    """What a run did and proved."""

    config: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    workdir: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "config": self.config,
            "figures": self.figures,
            "checks": [asdict(check) for check in self.checks],
            "faults": [asdict(fault) for fault in self.faults],
            "workdir": self.workdir,
        }

    def table(self) -> str:
        fig = self.figures
        lines = [
            f"progen chaos: {self.config['db']}, {self.config['instances']} instances, "
            f"{self.config['jobs']} jobs, {self.config['duration']:g} s, "
            f"seed {self.config['seed']}, faults {','.join(self.config['faults']) or '-'}",
            f"run {fig.get('run_seconds', 0):.1f} s (settled {fig.get('settle_seconds', 0):.1f} s"
            f" after the faults); logs in {self.workdir}",
            "faults injected: "
            + (
                ", ".join(f"{kind} {n}" for kind, n in sorted(fig.get("faults", {}).items()))
                or "none"
            ),
            "jobs: "
            + ", ".join(
                f"{status} {n}" for status, n in sorted(fig.get("jobs_by_status", {}).items())
            ),
            "events: "
            + ", ".join(
                f"{reason} {n}" for reason, n in sorted(fig.get("events_by_reason", {}).items())
            ),
            "",
            f"{'check':<28}{'result':<8}detail",
        ]
        for check in self.checks:
            lines.append(f"{check.name:<28}{'PASS' if check.ok else 'FAIL':<8}{check.detail}")
        lines += ["", f"{'figure':<36}value"]
        for kind, stats in sorted(fig.get("reclaim_latency", {}).items()):
            lines.append(f"{'reclaim latency after ' + kind:<36}{_stats_text(stats)}")
        for name in ("resume_latency", "shutdown_handback_latency", "restart_seconds"):
            if name in fig:
                lines.append(f"{name.replace('_', ' '):<36}{_stats_text(fig[name])}")
        for name in (
            "interrupted_attempts",
            "steps_redone",
            "finished_steps_redone",
            "steps_kept_by_checkpoints",
            "steps_total_completed",
            "unattributed_reclaims",
            "max_attempts_used",
            "progress_samples",
        ):
            if name in fig:
                lines.append(f"{name.replace('_', ' '):<36}{fig[name]}")
        lines.append("")
        lines.append(
            "RESULT: "
            + ("PASS" if self.ok else "FAIL (" + ", ".join(c.name for c in self.failed()) + ")")
        )
        return "\n".join(lines)


def _stats_text(stats: dict[str, Any]) -> str:
    if not stats.get("n"):
        return "n=0"
    return f"n={stats['n']} p50 {stats['p50']:.2f} s  max {stats['max']:.2f} s"


def _stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "min": round(min(values), 3),
    }


def _log(config: Config, text: str) -> None:
    if not config.quiet:
        print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Instance:
    """One slot: a progen process that faults replace with a new one."""

    def __init__(self, slot: int, env: dict[str, str], log_dir: Path) -> None:
        self.slot = slot
        self.env = env
        self.log = log_dir / f"instance-{slot}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.instance_id = ""
        self.ids: list[str] = []  # every instance id this slot has had
        self.available = False  # false while down or stopped: do not send it requests
        self.client: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> float:
        """Start a new process and wait for 200 from /api/health; return the seconds it took."""
        started = time.monotonic()
        self.port = free_port()
        if self.client is not None:
            self.client.close()
        self.client = httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT)
        with self.log.open("ab") as out:
            out.write(f"\n=== chaos: start on port {self.port} ===\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [str(ROOT / "start_fastapi.sh"), "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"instance {self.slot} exited with {self.proc.returncode}; see {self.log}"
                )
            health = self.health()
            if health and health[0] == 200:
                self.instance_id = str(health[1]["instance_id"])
                self.ids.append(self.instance_id)
                self.available = True
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"instance {self.slot} not healthy after {timeout:g} s; see {self.log}")

    def health(self) -> tuple[int, dict[str, Any]] | None:
        assert self.client is not None
        try:
            answer = self.client.get("/api/health", timeout=2)
            return answer.status_code, answer.json()
        except (httpx.HTTPError, ValueError):
            return None

    def wait_healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = self.health()
            if health and health[0] == 200:
                return True
            time.sleep(0.2)
        return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        self.available = False
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(timeout=15)

    def terminate(self, timeout: float) -> float:
        """SIGCONT + SIGTERM, wait (then kill -9 past `timeout`); return the seconds to exit."""
        self.available = False
        assert self.proc is not None
        started = time.monotonic()
        self.signal(signal.SIGCONT)  # a stopped process cannot handle SIGTERM
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        return time.monotonic() - started

    def close(self) -> None:
        if self.alive():
            self.terminate(timeout=20)
        if self.client is not None:
            self.client.close()


# --- the database -------------------------------------------------------------------------


def _pg_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: float(v))
    return versions[-1]


def pg_ready() -> bool:
    done = subprocess.run(
        ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False, timeout=10
    )
    return done.returncode == 0


def ensure_pg_running(timeout: float = PG_READY_TIMEOUT) -> bool:
    """Start the local cluster if it is down; wait for pg_isready. True when it answers."""
    deadline = time.monotonic() + timeout
    started = False
    while time.monotonic() < deadline:
        if pg_ready():
            return True
        if not started:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "start"],
                check=False,
                timeout=60,
                capture_output=True,
            )
            started = True
        time.sleep(0.5)
    return pg_ready()


def _pg_ctl(action: str, *extra: str) -> str:
    done = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", action, *extra],
        check=False,
        timeout=90,
        capture_output=True,
        text=True,
    )
    return f"{action}: rc={done.returncode} {done.stderr.strip()[:200]}".strip()


class Database:
    """The run's database: a given URL, a throw-away PostgreSQL database, or a SQLite file."""

    def __init__(self, config: Config, workdir: Path) -> None:
        self.config = config
        self.created: str | None = None
        if config.database_url:
            self.url = config.database_url
        elif config.db == "sqlite":
            self.url = f"sqlite:///{workdir / 'chaos.db'}"
        else:
            self.created = f"progen_chaos_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = sa.create_engine(config.admin_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{self.created}"'))
            finally:
                admin.dispose()
            self.url = (
                make_url(config.admin_url)
                .set(database=self.created)
                .render_as_string(hide_password=False)
            )
        backend = make_url(self.url).get_backend_name()
        if backend != config.db:
            raise ValueError(f"--db {config.db} but the database URL is {backend}")
        self.engine = make_engine(self.url)
        migrate.upgrade(self.engine)

    def drop(self) -> None:
        self.engine.dispose()
        if self.created is None:
            return
        admin = sa.create_engine(self.config.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.created}" WITH (FORCE)'))
        finally:
            admin.dispose()


def _chunks(items: list[str], size: int = 200) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- the three threads: jobs in, progress sampled, faults ----------------------------------


class Submitter(threading.Thread):
    """Submits `config.jobs` jobs at seeded random times over the first 3/4 of the run."""

    def __init__(self, config: Config, slots: list[Instance], run_id: str, start: float) -> None:
        super().__init__(name="chaos-submitter", daemon=True)
        self.config, self.slots, self.run_id, self.start_at = config, slots, run_id, start
        self.rng = random.Random(config.seed * 7919 + 1)
        self.ids: list[str] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()

    def snapshot(self) -> list[str]:
        with self.lock:
            return list(self.ids)

    def run(self) -> None:
        offsets = sorted(
            self.rng.uniform(0, self.config.duration * 0.75) for _ in range(self.config.jobs)
        )
        for number, offset in enumerate(offsets):
            wait = self.start_at + offset - time.monotonic()
            if wait > 0 and self.stop_event.wait(wait):
                wait = 0  # asked to hurry: submit the rest now
            low, high = self.config.weeks
            body = {
                "goal": self.rng.choice(GOALS),
                "experience": self.rng.choice(LEVELS),
                "days_per_week": self.rng.randint(2, 4),
                "weeks": self.rng.randint(low, high),
                "session_minutes": 45,
                "equipment": ["dumbbells", "barbell"],
            }
            job_id = self._submit(body, f"chaos-{self.run_id}-{number}")
            with self.lock:
                if job_id:
                    self.ids.append(job_id)
                else:
                    self.failures.append(f"job {number}")

    def _submit(self, body: dict[str, Any], key: str) -> str | None:
        """POST to a live instance; the Idempotency-Key makes a retry elsewhere safe."""
        deadline = time.monotonic() + 60
        for _ in range(40):
            if time.monotonic() > deadline:
                break
            live = [slot for slot in self.slots if slot.available and slot.client]
            if live:
                slot = self.rng.choice(live)
                try:
                    assert slot.client is not None
                    answer = slot.client.post(
                        "/api/programs/generate", json=body, headers={"Idempotency-Key": key}
                    )
                    if answer.status_code in (200, 202):
                        return str(answer.json()["id"])
                except (httpx.HTTPError, ValueError, RuntimeError):
                    pass
            time.sleep(0.5)
        return None


@dataclass
class Series:
    """What the sampler saw of one job: (t, status, attempts, owner, steps)."""

    points: list[tuple[float, str, int, str | None, int]] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)


class Sampler(threading.Thread):
    """Reads every unfinished job's status and saved step count from the database, often."""

    def __init__(self, config: Config, engine: sa.Engine, ids: Any) -> None:
        super().__init__(name="chaos-sampler", daemon=True)
        self.config, self.engine, self.ids = config, engine, ids
        self.series: dict[str, Series] = defaultdict(Series)
        self.done: set[str] = set()
        self.samples = 0
        self.errors = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.sample()
            except Exception:  # the database may be restarting: that is the point
                self.errors += 1
            self.stop_event.wait(self.config.sample_interval)

    def sample(self) -> None:
        todo = [job_id for job_id in self.ids() if job_id not in self.done]
        for chunk in _chunks(todo):
            query = sa.select(Job.id, Job.status, Job.attempts, Job.owner, Job.steps_done).where(
                Job.id.in_(chunk)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            now = time.time()
            for job_id, status, attempts, owner, steps in rows:
                series = self.series[job_id]
                if series.points and steps < series.points[-1][4]:
                    series.regressions.append(
                        f"{job_id}: step {series.points[-1][4]} -> {steps} at {now:.2f}"
                    )
                series.points.append((now, status, attempts, owner, int(steps)))
                self.samples += 1
                if status in TERMINAL:
                    self.done.add(job_id)


class Injector:
    """Hurts one instance (or the database) at a time, at seeded random times."""

    def __init__(self, config: Config, slots: list[Instance], db: Database) -> None:
        self.config, self.slots, self.db = config, slots, db
        self.rng = random.Random(config.seed)
        self.faults: list[Fault] = []

    def run_until(self, deadline: float) -> None:
        kinds = list(self.config.faults)
        if not kinds:
            time.sleep(max(0.0, deadline - time.monotonic()))
            return
        next_at = time.monotonic() + self.config.warmup
        while len(self.faults) < self.config.max_faults:
            if next_at >= deadline:
                break
            time.sleep(max(0.0, next_at - time.monotonic()))
            kind = self.rng.choice(kinds)
            fault = self.inject(kind)
            self.faults.append(fault)
            _log(
                self.config,
                f"fault {len(self.faults)}: {kind} slot {fault.slot} "
                f"({fault.owned_jobs} running jobs) {fault.detail}",
            )
            next_at = time.monotonic() + self.rng.uniform(*self.config.fault_gap)
        time.sleep(max(0.0, deadline - time.monotonic()))

    def _owners(self) -> Counter[str]:
        try:
            with self.db.engine.connect() as conn:
                rows = conn.execute(sa.select(Job.owner).where(Job.status == "in_progress"))
                return Counter(str(row[0]) for row in rows if row[0])
        except Exception:
            return Counter()

    def _victim(self) -> tuple[Instance, int]:
        """A slot that runs jobs right now if there is one (the interesting case)."""
        owners = self._owners()
        live = [slot for slot in self.slots if slot.alive()]
        busy = [slot for slot in live if owners.get(slot.instance_id)]
        slot = self.rng.choice(busy or live)
        return slot, owners.get(slot.instance_id, 0)

    def inject(self, kind: str) -> Fault:
        if kind == "dbrestart":
            return self._db_restart()
        slot, owned = self._victim()
        fault = Fault(kind, slot.slot, slot.instance_id, time.time(), owned_jobs=owned)
        try:
            if kind == "kill":
                slot.kill()
                fault.restart_seconds = slot.start()
            elif kind == "stop":
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
            elif kind == "term":
                exit_seconds = slot.terminate(timeout=self.config.shutdown_grace + 15)
                fault.detail = f"exited in {exit_seconds:.1f} s"
                fault.restart_seconds = slot.start()
            else:
                raise ValueError(f"unknown fault {kind}")
        except Exception as error:  # a fault that goes wrong is reported, the run goes on
            fault.detail += f"; error: {error}"
            if not slot.alive():
                try:
                    slot.start()
                except Exception as again:
                    fault.detail += f"; restart failed: {again}"
        fault.ended = time.time()
        return fault

    def _db_restart(self) -> Fault:
        fault = Fault("dbrestart", None, None, time.time(), owned_jobs=sum(self._owners().values()))
        try:
            if self.rng.random() < 0.5:
                fault.detail = _pg_ctl("restart", "-m", "fast")
            else:
                down = self.rng.uniform(1.0, 4.0)
                fault.detail = _pg_ctl("stop", "-m", "fast")
                time.sleep(down)
                fault.detail += f"; down {down:.1f} s; " + _pg_ctl("start")
        finally:
            if not ensure_pg_running():
                fault.detail += "; PostgreSQL NOT running again"
        fault.ended = time.time()
        return fault


# --- the proof ------------------------------------------------------------------------------


def chain_problems(job_id: str, events: list[JobEvent]) -> list[str]:
    """Every status change must follow the one before, and every worker write must be
    the current claim's (its attempt, its instance): a lost lease never writes again."""
    problems: list[str] = []
    if not events or events[0].reason != "created" or events[0].from_status is not None:
        return [f"{job_id}: first event is not the creation"]
    state, attempts = events[0].to_status, events[0].attempt
    claim: tuple[int, str | None] | None = None
    for event in events[1:]:
        where = f"{job_id} event {event.id} ({event.reason}, attempt {event.attempt})"
        if event.from_status != state:
            problems.append(f"{where}: from {event.from_status} but the job was {state}")
        if event.reason == "claimed":
            if event.attempt != attempts + 1:
                problems.append(f"{where}: claim after attempt {attempts}")
            claim = (event.attempt, event.instance_id)
        elif event.from_status == "in_progress":
            if claim is None:
                problems.append(f"{where}: left in_progress without a claim")
            elif event.reason in WORKER_REASONS and (event.attempt, event.instance_id) != claim:
                problems.append(
                    f"{where}: written by {event.instance_id} attempt "
                    f"{event.attempt}, but the lease was {claim}"
                )
            elif event.reason == "shutdown" and (
                event.instance_id != claim[1] or event.attempt not in (claim[0] - 1, claim[0])
            ):
                problems.append(f"{where}: hand-back does not match the lease {claim}")
            elif event.reason in RECLAIM_REASONS and event.attempt != claim[0]:
                problems.append(f"{where}: reclaim changed the attempt of lease {claim}")
            claim = None
        state, attempts = event.to_status, event.attempt
    return problems


def _ts(value: Any) -> float:
    return float(value.timestamp())


HANDBACKS = frozenset({*RECLAIM_REASONS, "shutdown", "retryable_error", "timeout"})


class Tally:
    """Figures over the hand-backs: which fault caused each, how fast, how many steps kept."""

    def __init__(self, faults: list[Fault], db_window: float) -> None:
        self.by_victim: dict[str, list[Fault]] = defaultdict(list)
        for fault in faults:
            if fault.victim:
                self.by_victim[fault.victim].append(fault)
        self.db_faults = [f for f in faults if f.kind == "dbrestart"]
        self.db_window = db_window
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.resume: list[float] = []
        self.handback: list[float] = []
        self.unattributed: list[str] = []
        self.kept = self.redone = self.interrupted = 0

    def interruption(self, saved: int, total: int, event: Any, next_claim: Any) -> None:
        """An attempt handed back to pending: its saved steps are kept, the one in flight
        (if any) is redone by the next attempt."""
        self.interrupted += 1
        self.kept += saved
        self.redone += 1 if saved < total else 0
        if next_claim is not None:
            self.resume.append(_ts(next_claim.at) - _ts(event.at))

    def attribute(self, job_id: str, event: Any, claim: Any) -> None:
        """Seconds from the fault that hurt this lease (the latest one after its claim,
        on its owner or on the database) to this hand-back."""
        at = _ts(event.at)
        owner = claim.instance_id if claim is not None else None
        since = _ts(claim.at) - 0.05 if claim is not None else 0.0
        hurt = [
            f
            for f in self.by_victim.get(owner or "", []) + self.db_faults
            if since <= f.started <= at + 0.05
        ]
        last = max(hurt, key=lambda f: f.started) if hurt else None
        if event.reason == "shutdown":
            if last is not None and last.kind == "term":
                self.handback.append(at - last.started)
        elif event.reason == "owner_dead":
            if last is not None and (last.kind != "dbrestart" or at <= last.ended + self.db_window):
                self.latency[last.kind].append(at - last.started)
            else:
                self.unattributed.append(f"{job_id} at {at:.2f} (owner {owner})")


class Proof:
    """The checks and figures, from the database after the run."""

    def __init__(
        self, config: Config, db: Database, ids: list[str], sampler: Sampler, faults: list[Fault]
    ) -> None:
        self.config, self.ids, self.sampler, self.faults = config, ids, sampler, faults
        with db.engine.connect() as conn:
            self.jobs: dict[str, Any] = {}
            self.events: dict[str, list[Any]] = defaultdict(list)
            for chunk in _chunks(ids):
                for row in conn.execute(sa.select(Job).where(Job.id.in_(chunk))):
                    self.jobs[row.id] = row
                query = sa.select(JobEvent).where(JobEvent.job_id.in_(chunk)).order_by(JobEvent.id)
                for row in conn.execute(query):
                    self.events[row.job_id].append(row)

    def checks(
        self, requested: int, submit_failures: list[str], unhealthy: list[str]
    ) -> list[Check]:
        jobs, events = self.jobs, self.events
        missing = [job_id for job_id in self.ids if job_id not in jobs]
        open_jobs = [f"{j.id} {j.status}" for j in jobs.values() if j.status not in TERMINAL]
        running = [j.id for j in jobs.values() if j.status == "in_progress"]
        twice = []
        for job_id, job in jobs.items():
            done = sum(1 for event in events[job_id] if event.reason == "completed")
            if done != (1 if job.status == "completed" else 0):
                twice.append(f"{job_id}: {job.status} with {done} 'completed' events")
        chain = [p for job_id in jobs for p in chain_problems(job_id, events[job_id])]
        regressions = [r for s in self.sampler.series.values() for r in s.regressions]
        unfinished = [  # a completed job did every step (and dropped their outputs)
            f"{j.id}: {j.steps_done} of {j.total_steps} steps ({len(j.steps or [])} kept)"
            for j in jobs.values()
            if (j.status == "completed" and (j.steps_done != j.total_steps or j.steps))
            or (j.status != "completed" and j.steps_done != len(j.steps or []))
        ]
        bad_results = [
            j.id
            for j in jobs.values()
            if j.status == "completed"
            and (not j.result or len(j.result.get("weeks", [])) != j.request["weeks"])
        ]
        failures = [
            f"{j.id}: {j.status} after {j.attempts}/{j.max_attempts}: {j.error}"
            for j in jobs.values()
            if j.status in ("failed", "cancelled")
            and not (j.status == "failed" and j.attempts >= j.max_attempts)
        ]

        def check(name: str, problems: list[str], ok_text: str) -> Check:
            detail = ok_text if not problems else f"{len(problems)}: " + "; ".join(problems[:3])
            return Check(name, not problems, detail)

        return [
            check("all_submitted", submit_failures, f"{len(self.ids)}/{requested} accepted"),
            check("all_exist", missing, f"{len(jobs)} rows"),
            check("all_terminal", open_jobs, "none pending or in_progress"),
            check("none_in_progress", running, "0 in_progress"),
            check("completed_exactly_once", twice, "one 'completed' event per completed job"),
            check(
                "fenced_event_chain",
                chain,
                f"{sum(len(e) for e in events.values())} events, each from the current lease",
            ),
            check(
                "progress_monotonic",
                regressions,
                f"{self.sampler.samples} samples, no step went backwards",
            ),
            check(
                "completed_all_steps",
                unfinished + bad_results,
                "every completed job has all steps and its weeks",
            ),
            check(
                "no_unexpected_failure", failures, "no job failed except by running out of attempts"
            ),
            check("instances_healthy_at_end", unhealthy, "every instance answers 200"),
        ]

    def _saved_steps_at(self, job_id: str, at: float) -> int:
        points = self.sampler.series.get(job_id)
        seen = [p[4] for p in points.points if p[0] <= at + 0.05] if points else []
        return max(seen) if seen else 0

    def _tally(self) -> Tally:
        tally = Tally(self.faults, self.config.stale_seconds + self.config.monitor_interval + 5)
        for job_id, events in self.events.items():
            claim = None
            total = self.jobs[job_id].total_steps or 0
            for index, event in enumerate(events):
                if event.reason == "claimed":
                    claim = event
                elif event.from_status == "in_progress" and event.reason in HANDBACKS:
                    if event.to_status == "pending":
                        saved = self._saved_steps_at(job_id, _ts(event.at))
                        later = [e for e in events[index + 1 :] if e.reason == "claimed"]
                        tally.interruption(saved, total, event, later[0] if later else None)
                    tally.attribute(job_id, event, claim)
        return tally

    def figures(self) -> dict[str, Any]:
        tally = self._tally()
        statuses = Counter(job.status for job in self.jobs.values())
        reasons = Counter(e.reason for events in self.events.values() for e in events)
        completed = [j for j in self.jobs.values() if j.status == "completed"]
        return {
            "faults": dict(Counter(f.kind for f in self.faults)),
            "jobs_by_status": dict(statuses),
            "events_by_reason": dict(reasons),
            "reclaim_latency": {kind: _stats(values) for kind, values in tally.latency.items()},
            "resume_latency": _stats(tally.resume),
            "shutdown_handback_latency": _stats(tally.handback),
            "restart_seconds": _stats(
                [f.restart_seconds for f in self.faults if f.restart_seconds is not None]
            ),
            "interrupted_attempts": tally.interrupted,
            "steps_redone": tally.redone,
            "finished_steps_redone": sum(len(s.regressions) for s in self.sampler.series.values()),
            "steps_kept_by_checkpoints": tally.kept,
            "steps_total_completed": sum(j.total_steps or 0 for j in completed),
            "unattributed_reclaims": len(tally.unattributed),
            "unattributed_examples": tally.unattributed[:5],
            "max_attempts_used": max((j.attempts for j in self.jobs.values()), default=0),
            "progress_samples": self.sampler.samples,
            "sampler_errors": self.sampler.errors,
        }


# --- the run --------------------------------------------------------------------------------


def _env(config: Config, db_url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    return {
        **base,
        "DATABASE_URL": db_url,
        "GENERATOR": "template",
        "GENERATION_STEP_DELAY_SECONDS": f"{config.step_delay:g}",
        "HEARTBEAT_INTERVAL_SECONDS": f"{config.heartbeat_interval:g}",
        "HEARTBEAT_STALE_SECONDS": f"{config.stale_seconds:g}",
        "MONITOR_INTERVAL_SECONDS": f"{config.monitor_interval:g}",
        "JOB_CONCURRENCY": str(config.concurrency),
        "JOB_MAX_ATTEMPTS": str(config.max_attempts),
        "JOB_RETRY_BACKOFF_SECONDS": f"{config.backoff:g}",
        "SHUTDOWN_GRACE_SECONDS": f"{config.shutdown_grace:g}",
        "HOST": "127.0.0.1",
    }


def _validate(config: Config) -> None:
    if config.db not in ("postgresql", "sqlite"):
        raise ValueError("--db must be postgresql or sqlite")
    unknown = set(config.faults) - set(FAULT_KINDS)
    if unknown:
        raise ValueError(f"unknown faults {sorted(unknown)}; choose from {FAULT_KINDS}")
    if "dbrestart" in config.faults:
        if config.db != "postgresql":
            raise ValueError("dbrestart needs --db postgresql")
        url = make_url(config.database_url or config.admin_url)
        if url.host not in ("127.0.0.1", "localhost"):
            raise ValueError(
                "dbrestart restarts the local cluster: the database must be on 127.0.0.1"
            )
    if config.instance_count() < (2 if config.faults else 1):
        raise ValueError("faults need at least 2 instances (one must keep serving)")
    if config.jobs < 1 or config.duration <= 0:
        raise ValueError("--jobs and --duration must be positive")


def _wait_terminal(db: Database, ids: list[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with db.engine.connect() as conn:
                open_count = sum(
                    conn.execute(
                        sa.select(sa.func.count())
                        .select_from(Job)
                        .where(Job.id.in_(chunk), Job.status.not_in(list(TERMINAL)))
                    ).scalar_one()
                    for chunk in _chunks(ids)
                )
            if open_count == 0:
                return True
        except Exception:
            pass
        time.sleep(0.5)
    return False


def run(config: Config) -> Summary:
    """One chaos run; never leaves a process of its own or a stopped PostgreSQL behind."""
    _validate(config)
    own_workdir = config.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="progen-chaos-")) if own_workdir else config.workdir
    assert workdir is not None
    workdir.mkdir(parents=True, exist_ok=True)
    summary = Summary(
        config={
            "db": config.db,
            "instances": config.instance_count(),
            "jobs": config.jobs,
            "duration": config.duration,
            "seed": config.seed,
            "faults": list(config.faults),
            "step_delay": config.step_delay,
            "weeks": list(config.weeks),
            "heartbeat_interval": config.heartbeat_interval,
            "stale_seconds": config.stale_seconds,
            "monitor_interval": config.monitor_interval,
            "concurrency": config.concurrency,
            "max_attempts": config.max_attempts,
        },
        workdir=str(workdir),
    )
    if "dbrestart" in config.faults and not ensure_pg_running():
        raise RuntimeError("PostgreSQL is not running and could not be started")
    db = Database(config, workdir)
    slots = [Instance(n, _env(config, db.url), workdir) for n in range(config.instance_count())]
    submitter: Submitter | None = None
    sampler: Sampler | None = None
    began = time.monotonic()
    try:
        for slot in slots:  # one after the other: each start migrates and sweeps
            slot.start()
        _log(
            config,
            f"{len(slots)} instances on {db.engine.url.render_as_string()}; logs in {workdir}",
        )
        run_id = uuid.uuid4().hex[:8]
        start = time.monotonic()
        submitter = Submitter(config, slots, run_id, start)
        sampler = Sampler(config, db.engine, submitter.snapshot)
        submitter.start()
        sampler.start()
        injector = Injector(config, slots, db)
        injector.run_until(start + config.duration)
        summary.faults = injector.faults
        submitter.stop_event.set()  # anything not yet sent goes now
        submitter.join(timeout=120)
        settle_began = time.monotonic()
        ids = submitter.snapshot()
        _log(config, f"faults over ({len(injector.faults)}); waiting for {len(ids)} jobs")
        settled = _wait_terminal(db, ids, config.settle_timeout)
        settle_seconds = time.monotonic() - settle_began
        time.sleep(2 * config.heartbeat_interval)  # room for a late writer to show itself
        sampler.stop_event.set()
        sampler.join(timeout=10)
        sampler.sample()  # the final state
        unhealthy = [f"slot {s.slot}" for s in slots if not s.wait_healthy(timeout=15)]
        proof = Proof(config, db, ids, sampler, injector.faults)
        summary.checks = proof.checks(config.jobs, submitter.failures, unhealthy)
        if not settled:
            summary.checks.append(
                Check(
                    "settled_in_time",
                    False,
                    f"not all terminal {config.settle_timeout:g} s after the faults",
                )
            )
        summary.figures = proof.figures()
        summary.figures["settle_seconds"] = round(settle_seconds, 2)
        summary.figures["run_seconds"] = round(time.monotonic() - began, 2)
        summary.figures["instance_ids"] = {s.slot: s.ids for s in slots}
    finally:
        if submitter is not None:
            submitter.stop_event.set()
        if sampler is not None:
            sampler.stop_event.set()
        for slot in slots:
            try:
                slot.close()
            except Exception as error:
                _log(config, f"closing slot {slot.slot}: {error}")
        if "dbrestart" in config.faults:
            ensure_pg_running()
        db.drop()
    if config.json_out:
        Path(config.json_out).write_text(json.dumps(summary.to_dict(), indent=2, default=str))
    if own_workdir and summary.ok:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--instances",
        type=int,
        default=None,
        help="server processes (default 3 on PostgreSQL, 2 on SQLite)",
    )
    parser.add_argument("--jobs", type=int, default=60, help="jobs submitted over the run")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds of jobs arriving and faults"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--faults",
        default="kill,stop,term",
        help="comma-separated: kill,stop,term,dbrestart (dbrestart: "
        "PostgreSQL only; restarts the local cluster); '' for none",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="use this database (default: a throw-away one / a temp file)",
    )
    parser.add_argument(
        "--admin-url",
        default=ADMIN_URL,
        help="PostgreSQL URL on which the throw-away database is created",
    )
    parser.add_argument("--step-delay", type=float, default=0.25)
    parser.add_argument("--weeks", default="3-8", help="range of weeks per job, e.g. 3-8")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-attempts", type=int, default=10)
    parser.add_argument("--settle-timeout", type=float, default=120.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    low, _, high = args.weeks.partition("-")
    return Config(
        db=args.db,
        instances=args.instances,
        jobs=args.jobs,
        duration=args.duration,
        seed=args.seed,
        faults=tuple(f for f in args.faults.split(",") if f.strip()),
        database_url=args.database_url,
        admin_url=args.admin_url,
        step_delay=args.step_delay,
        weeks=(int(low), int(high or low)),
        concurrency=args.concurrency,
        max_attempts=args.max_attempts,
        settle_timeout=args.settle_timeout,
        workdir=args.workdir,
        json_out=args.json_out,
        quiet=args.quiet,
    )


def main(argv: list[str] | None = None) -> int:
    try:
        config = parse_args(argv)
        summary = run(config)
    except (ValueError, RuntimeError) as error:
        print(f"chaos: {error}", file=sys.stderr)
        return 2
    print(summary.table())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
