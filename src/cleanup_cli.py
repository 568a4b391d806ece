"""`cleanup_stuck_jobs.py`: the monitor's hand-back, run by hand (an edge: it reads settings).

Exit status: 0 done (or nothing found), 1 error, 3 stuck jobs found with --dry-run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from db import migrate
from db.database import Sessions, describe_error, make_engine
from jobs import instances, recovery, store
from jobs.engine import Engine
from jobs.models import Instance, Job
from jobs.status import Reason
from settings import Settings, describe, get_settings

EXIT_OK, EXIT_ERROR, EXIT_FOUND = 0, 1, 3
NONE_FOUND = "No stuck jobs found!"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cleanup_stuck_jobs.py",
        description="Find in_progress jobs whose worker is gone and hand them back "
        "(retry or fail, by the monitor's rule).",
        epilog="Exit status: 0 done or nothing found, 1 error, 3 stuck jobs found with --dry-run.",
    )
    parser.add_argument("--dry-run", action="store_true", help="list, change nothing")
    parser.add_argument(
        "--older-than",
        type=float,
        metavar="SECONDS",
        help="stale threshold instead of HEARTBEAT_STALE_SECONDS",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="treat every in_progress job as stuck (the server is known down)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask before --all")
    parser.add_argument(
        "--force",
        action="store_true",
        help="let --all hand back jobs of instances that still heartbeat",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _row(job: Job, now: datetime) -> dict[str, Any]:
    age = (now - job.heartbeat_at).total_seconds() if job.heartbeat_at else None
    return {
        "id": job.id,
        "status": job.status,
        "owner": job.owner,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "heartbeat_at": job.heartbeat_at.isoformat() if job.heartbeat_at else None,
        "heartbeat_age_seconds": round(age, 1) if age is not None else None,
        "step": job.steps_done,
        "total_steps": job.total_steps,
    }


def _print_found(rows: list[dict[str, Any]]) -> None:
    print(f"Found {len(rows)} stuck job(s):")
    for row in rows:
        age = row["heartbeat_age_seconds"]
        print(
            f"  {row['id']}  owner={row['owner']}  attempt {row['attempts']}/"
            f"{row['max_attempts']}  step {row['step']}/{row['total_steps']}  "
            f"heartbeat {'never' if age is None else f'{age:.0f} s ago'}"
        )


def _alive_words(alive: list[Instance], now: datetime) -> str:
    return ", ".join(
        f"{row.id} (heartbeat {(now - row.heartbeat_at).total_seconds():.0f} s ago)"
        for row in alive
    )


def _confirm(count: int, alive: list[Instance], now: datetime) -> bool:
    if not sys.stdin.isatty():
        print("--all changes every in_progress job: confirm with --yes", file=sys.stderr)
        return False
    warning = (
        f" Their owner(s) are ALIVE and still working on them: {_alive_words(alive, now)};"
        " the work they do is discarded."
        if alive
        else ""
    )
    answer = input(f"Hand back all {count} in_progress job(s)?{warning} [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


def _refuse_live(alive: list[Instance], now: datetime) -> int:
    print(
        f"cleanup_stuck_jobs.py: --all would take jobs from {len(alive)} live instance(s) "
        f"(not stopped, heartbeat fresh): {_alive_words(alive, now)}. Stop them first, or add "
        "--force to discard their work.",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _reclaim(engine: Engine, args: argparse.Namespace, ids: list[str]) -> list[store.JobRow]:
    listed = Job.id.in_(ids)
    with engine.sessions.write() as session:
        if args.all:
            return recovery.reclaim_all(
                session, config=engine.config, where=listed, instance_id=engine.who.id
            )
        return recovery.sweep(
            session,
            who=engine.who,
            config=engine.config,
            where=listed,
            reason=Reason.MANUAL_CLEANUP,
        )


def _engine(database: sa.Engine, settings: Settings, args: argparse.Namespace) -> Engine:
    """An engine that only recovers jobs, with --older-than as its stale threshold."""
    config = settings.engine_config()
    if args.older_than:
        config = dataclasses.replace(config, stale_seconds=args.older_than)
    return Engine(sessions=Sessions(database), config=config)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Find, list and (unless --dry-run) hand back stuck jobs; return the exit status."""
    database = make_engine(settings.database_url)
    try:
        migrate.upgrade(database)
        engine = _engine(database, settings, args)
        engine.align_clock()
        stale_seconds = engine.config.stale_seconds
        with engine.sessions.read() as session:
            where = (
                sa.true()
                if args.all
                else recovery.stuck(session, who=engine.who, stale_seconds=stale_seconds)
            )
            found = recovery.find_stuck(session, where=where)
            owners = sorted({job.owner for job in found if job.owner}) if args.all else []
            alive = instances.live(session, ids=owners, stale_seconds=stale_seconds)
        now = engine.clock.now()
        rows = [_row(job, now) for job in found]
        if not found or args.dry_run:
            _report(args, rows, [])
            if alive:
                print(
                    f"Live instances own some of them: {_alive_words(alive, now)}", file=sys.stderr
                )
            return EXIT_FOUND if found else EXIT_OK
        if alive and not args.force:
            return _refuse_live(alive, now)
        if args.all and not args.yes and not _confirm(len(found), alive, now):
            return EXIT_ERROR
        done = _reclaim(engine, args, [job.id for job in found])
        _report(args, rows, done)
        return EXIT_OK
    finally:
        database.dispose()


def _report(args: argparse.Namespace, rows: list[dict[str, Any]], done: list[store.JobRow]) -> None:
    if args.json:
        print(
            json.dumps(
                {
                    "dry_run": args.dry_run,
                    "found": len(rows),
                    "jobs": rows,
                    "handed_back": [
                        {"id": job.id, "status": job.status, "error": job.error} for job in done
                    ],
                },
                indent=2,
            )
        )
        return
    if not rows:
        print(NONE_FOUND)
        return
    _print_found(rows)
    if args.dry_run:
        print("Dry run: nothing changed. Run without --dry-run to hand them back.")
    for job in done:
        print(f"  {job.id} -> {job.status}")
    if done or not args.dry_run:
        print(f"Handed back {len(done)} job(s).")


def main(argv: list[str] | None = None) -> int:
    """Entry point of cleanup_stuck_jobs.py."""
    args = _parser().parse_args(argv)
    if args.older_than is not None and args.older_than <= 0:
        print(
            "cleanup_stuck_jobs.py: --older-than must be a positive number of seconds",
            file=sys.stderr,
        )
        return EXIT_ERROR
    try:
        settings = get_settings()
    except ValidationError as error:
        print(f"cleanup_stuck_jobs.py: configuration error: {describe(error)}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return run(args, settings)
    except sa.exc.SQLAlchemyError as error:
        reason = describe_error(error, settings.database_url)
        print(f"cleanup_stuck_jobs.py: database error: {reason}", file=sys.stderr)
        return EXIT_ERROR
