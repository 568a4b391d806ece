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

    .venv/bin/python -m scripts.chaos --db postgresql --instances 3 --jobs 300 \\
        --duration 300 --seed 7 --faults kill,stop,term,dbrestart --json-out chaos.json

Modules: `config` (the scenario), `slots` (the server processes), `load` (jobs in,
progress sampled), `faults` (the injector), `proof` (the checks, pure functions over
rows), `figures` and `report` (what the run measured), `scenario` (one run),
`__main__` (the command line). Importable: `run(Config(...)) -> Summary`
(tests/integration/test_chaos.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT / "src", ROOT / "tests"):  # the service, and the harness
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from scripts.chaos.config import Config  # noqa: E402
from scripts.chaos.report import Summary  # noqa: E402
from scripts.chaos.scenario import run  # noqa: E402

__all__ = ["Config", "Summary", "run"]
