"""procrastinate on PostgreSQL: one asyncio worker, `--concurrency 8`, LISTEN/NOTIFY on."""

from __future__ import annotations

import asyncio
import os

import procrastinate

from bench.peers.peer import (
    BEST,
    CONCURRENCY,
    LONG_SECONDS,
    QUEUE,
    Peer,
    fresh_postgres_database,
    mark_end,
    mark_start,
    module_cli,
)

DATABASE = "peers_procrastinate"
URL_ENV = "PEERS_PROCRASTINATE_URL"

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=os.environ.get(URL_ENV, "")),
)
_COUNTS = (
    "SELECT count(*) FILTER (WHERE status = 'todo') AS waiting,"
    " count(*) FILTER (WHERE status IN ('todo', 'doing')) AS unfinished FROM procrastinate_jobs"
)


STALLED_SECONDS = 15  # the best settings: a job whose worker has not beaten for this long


@app.task(queue=QUEUE, name="noop")
async def noop() -> None:
    """The job: nothing."""


@app.task(queue=QUEUE, name="long")
async def long(seconds: float) -> None:
    """The crash scenario's job."""
    mark_start()
    await asyncio.sleep(seconds)
    mark_end()


if BEST:  # procrastinate's how-to "retry stalled jobs": a periodic task does it

    @app.periodic(cron="* * * * * */5")
    @app.task(queue=QUEUE, name="retry_stalled", queueing_lock="retry_stalled")
    async def retry_stalled(timestamp: int) -> None:
        """Run again the jobs of workers whose heartbeat stopped."""
        stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_SECONDS)
        for job in stalled:
            await app.job_manager.retry_job(job)


class Procrastinate(Peer):
    name = "procrastinate"
    backend = "postgresql"
    job = "a task by name; JSON arguments; the row kept"
    best = "a periodic task (every 5 s) that retries jobs whose worker's heartbeat is 15 s old"

    async def reset(self) -> None:
        os.environ[URL_ENV] = fresh_postgres_database(DATABASE)
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=os.environ[URL_ENV])
        )
        async with self.app.open_async():
            await self.app.schema_manager.apply_schema_async()

    async def open(self) -> None:
        await self.app.open_async()
        self.task = self.app.configure_task("noop", queue=QUEUE)

    async def submit(self) -> None:
        await self.task.defer_async()

    async def enqueue_long(self) -> None:
        await self.app.configure_task("long", queue=QUEUE).defer_async(seconds=LONG_SECONDS)

    async def counts(self) -> tuple[int, int]:
        row = await self.app.connector.execute_query_one_async(_COUNTS)
        return int(row["waiting"]), int(row["unfinished"])

    def worker(self) -> list[str]:
        return module_cli(
            "procrastinate", "--app", "bench.peers.procrastinate_peer.app", "worker",
            "--concurrency", str(CONCURRENCY),
        )  # fmt: skip

    async def close(self) -> None:
        await self.app.close_async()
