"""`python -m scripts.chaos`: the command line of a chaos run (see docs/CHAOS.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.chaos import __doc__ as DESCRIPTION
from scripts.chaos.config import Config
from scripts.chaos.scenario import run

DEFAULT = Config()  # the defaults are Config's, stated once


def parse_args(argv: list[str] | None = None) -> Config:
    """The scenario the arguments ask for."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.chaos", description=(DESCRIPTION or "").split("\n\n")[0]
    )
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default=DEFAULT.db)
    parser.add_argument(
        "--instances", type=int, help="server processes (default 3 on PostgreSQL, 2 on SQLite)"
    )
    parser.add_argument("--jobs", type=int, default=DEFAULT.jobs, help="jobs submitted")
    parser.add_argument(
        "--duration", type=float, default=DEFAULT.duration, help="seconds of jobs and faults"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT.seed)
    parser.add_argument(
        "--faults",
        default=",".join(DEFAULT.faults),
        help="comma-separated: kill,stop,term,dbrestart (dbrestart: "
        "PostgreSQL only; restarts the local cluster); '' for none",
    )
    parser.add_argument(
        "--cancels",
        type=int,
        help="running jobs cancelled through an instance that does not run them "
        "(default: a tenth of the jobs on PostgreSQL, none on SQLite)",
    )
    parser.add_argument(
        "--database-url", help="use this database (default: a throw-away one / a temp file)"
    )
    parser.add_argument(
        "--admin-url",
        default=DEFAULT.admin_url,
        help="PostgreSQL URL on which the throw-away database is created",
    )
    parser.add_argument("--step-delay", type=float, default=DEFAULT.step_delay)
    parser.add_argument(
        "--weeks", default="{}-{}".format(*DEFAULT.weeks), help="weeks per job, e.g. 3-8"
    )
    parser.add_argument("--concurrency", type=int, default=DEFAULT.concurrency)
    parser.add_argument("--max-attempts", type=int, default=DEFAULT.max_attempts)
    parser.add_argument("--settle-timeout", type=float, default=DEFAULT.settle_timeout)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--quiet", action="store_true")
    values = vars(parser.parse_args(argv))  # the options are named as Config's fields
    low, _, high = values["weeks"].partition("-")
    values["weeks"] = (int(low), int(high or low))
    values["faults"] = tuple(f for f in values["faults"].split(",") if f.strip())
    return Config(**values)


def main(argv: list[str] | None = None) -> int:
    """Run; 0 when every check passed, 1 when one failed, 2 when the run could not start."""
    try:
        summary = run(parse_args(argv))
    except (ValueError, RuntimeError) as error:
        print(f"chaos: {error}", file=sys.stderr)
        return 2
    print(summary.table())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
