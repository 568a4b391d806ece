"""One chaos run: servers up, load and faults for `duration`, settle, then the proof.

It never leaves a process of its own or a stopped PostgreSQL behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa
from scripts.chaos import figures, proof
from scripts.chaos.config import Config
from scripts.chaos.faults import Injector
from scripts.chaos.load import Cancel, Canceller, Sampler, Submitter, chunks
from scripts.chaos.proof import Check
from scripts.chaos.report import Summary
from scripts.chaos.slots import Slot
from sqlalchemy.engine import make_url

from db import migrate
from db.database import make_engine
from harness import postgres
from jobs.models import Job
from jobs.status import TERMINAL

SUBMITTER_JOIN = 120.0  # seconds for the submitter to send what is left after the faults
HEALTH_AT_END = 15.0  # seconds each instance has to answer 200 at the end


def _logger(config: Config) -> Callable[[str], None]:
    """A timestamped print, or nothing with --quiet."""

    def log(text: str) -> None:
        if not config.quiet:
            print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", flush=True)

    return log


def _database(config: Config, workdir: Path, stack: ExitStack) -> tuple[str, sa.Engine]:
    """The run's database, migrated: the given URL, a throw-away PostgreSQL database, or a
    SQLite file in the workdir. Dropped or disposed when `stack` closes."""
    if config.database_url:
        url = config.database_url
    elif config.db == "sqlite":
        url = f"sqlite:///{workdir / 'chaos.db'}"
    else:
        url = stack.enter_context(postgres.throwaway("progen_chaos", config.admin_url))
    backend = make_url(url).get_backend_name()
    if backend != config.db:
        raise ValueError(f"--db {config.db} but the database URL is {backend}")
    engine = make_engine(url)
    stack.callback(engine.dispose)
    migrate.upgrade(engine)
    return url, engine


def _wait_terminal(engine: sa.Engine, ids: list[str], timeout: float) -> bool:
    """Whether every job is terminal within `timeout` seconds (the database may blip)."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.5) + 1):
        try:
            with engine.connect() as conn:
                open_count = sum(
                    conn.execute(
                        sa.select(sa.func.count())
                        .select_from(Job)
                        .where(Job.id.in_(chunk), Job.status.not_in(list(TERMINAL)))
                    ).scalar_one()
                    for chunk in chunks(ids)
                )
            if open_count == 0:
                return True
        except sa.exc.SQLAlchemyError:
            pass
        if time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    return False


def _close(slots: list[Slot], log: Callable[[str], None]) -> None:
    for slot in slots:
        try:
            slot.close()
        except Exception as error:  # the others must still be stopped
            log(f"closing slot {slot.number}: {error}")


def _checks(
    config: Config,
    evidence: proof.Evidence,
    submitter: Submitter,
    sampler: Sampler,
    cancels: list[Cancel],
    unhealthy: list[str],
    settled: bool,
) -> list[Check]:
    """Every check of the report, in its order."""
    checks = [
        proof.check(
            "all_submitted", submitter.failures, f"{len(evidence.ids)}/{config.jobs} accepted"
        ),
        *proof.safety(evidence),
        proof.check(
            "progress_monotonic",
            figures.regressions(sampler.series),
            f"{sampler.samples} samples, no step went backwards",
        ),
        proof.check(
            "completed_all_steps",
            proof.incomplete(evidence),
            "every completed job has all steps and its weeks",
        ),
        proof.check(
            "no_unexpected_failure",
            proof.unexpected_failures(evidence, {cancel.job_id for cancel in cancels}),
            "no job failed except by running out of attempts",
        ),
        proof.check(
            "no_step_after_cancel",
            proof.cancel_problems(evidence, cancels),
            f"{len(cancels)} cancels across instances, each ended its job with no later step",
        ),
        proof.check("instances_healthy_at_end", unhealthy, "every instance answers 200"),
    ]
    if not settled:
        late = f"not all terminal {config.settle_timeout:g} s after the faults"
        checks.append(Check("settled_in_time", False, late))
    return checks


def _play(config: Config, engine: sa.Engine, slots: list[Slot], summary: Summary) -> None:
    """Load and faults for `duration`, settle, then fill `summary` with checks and figures."""
    log = _logger(config)
    began = time.monotonic()
    for slot in slots:  # one after the other: each start migrates and sweeps
        slot.start()
    log(f"{len(slots)} instances on {engine.url.render_as_string()}; logs in {summary.workdir}")
    start = time.monotonic()
    submitter = Submitter(config, slots, uuid.uuid4().hex[:8], start)
    sampler = Sampler(config, engine, submitter.snapshot)
    canceller = Canceller(config, slots, sampler, start)
    submitter.start()
    sampler.start()
    canceller.start()
    try:
        injector = Injector(config, slots, engine, log)
        injector.run_until(start + config.duration)
        summary.faults = injector.faults
        submitter.stop_event.set()  # anything not yet sent goes now
        canceller.stop_event.set()
        submitter.join(timeout=SUBMITTER_JOIN)
        canceller.join(timeout=SUBMITTER_JOIN)
        settle_began = time.monotonic()
        ids = submitter.snapshot()
        log(f"faults over ({len(injector.faults)}); waiting for {len(ids)} jobs")
        settled = _wait_terminal(engine, ids, config.settle_timeout)
        settle_seconds = time.monotonic() - settle_began
        time.sleep(2 * config.heartbeat_interval)  # room for a late writer to show itself
    finally:
        submitter.stop_event.set()
        canceller.stop_event.set()
        sampler.stop_event.set()
    sampler.join(timeout=10)
    sampler.sample()  # the final state
    unhealthy = [f"slot {s.number}" for s in slots if not s.wait_healthy(HEALTH_AT_END)]
    evidence = proof.Evidence.read(engine, ids)
    summary.checks = _checks(
        config, evidence, submitter, sampler, canceller.done, unhealthy, settled
    )
    summary.figures = figures.figures(
        evidence,
        sampler.series,
        summary.faults,
        window=config.stale_seconds + config.monitor_interval + 5,
        samples=sampler.samples,
        sampler_errors=sampler.errors,
    )
    summary.figures["cancel_latency"] = figures.cancel_latency(evidence, canceller.done)
    summary.figures["settle_seconds"] = round(settle_seconds, 2)
    summary.figures["run_seconds"] = round(time.monotonic() - began, 2)
    summary.figures["instance_ids"] = {s.number: s.ids for s in slots}


def run(config: Config) -> Summary:
    """One chaos run, its summary written to `config.json_out` if given."""
    config.validate()
    own_workdir = config.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="progen-chaos-")) if own_workdir else config.workdir
    assert workdir is not None
    workdir.mkdir(parents=True, exist_ok=True)
    summary = Summary(config=config.described(), workdir=str(workdir))
    if "dbrestart" in config.faults and not postgres.ensure_running():
        raise RuntimeError("PostgreSQL is not running and could not be started")
    with ExitStack() as stack:  # closed in reverse: slots, the cluster, the database
        url, engine = _database(config, workdir, stack)
        if "dbrestart" in config.faults:  # whatever happens, the cluster runs again at the end
            stack.callback(postgres.ensure_running)
        slots = [Slot(n, url, config.settings(), workdir) for n in range(config.instance_count())]
        stack.callback(_close, slots, _logger(config))
        _play(config, engine, slots, summary)
    if config.json_out:
        Path(config.json_out).write_text(json.dumps(summary.to_dict(), indent=2, default=str))
    if own_workdir and summary.ok:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary
