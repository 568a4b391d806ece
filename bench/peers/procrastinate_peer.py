"""procrastinate on PostgreSQL: one asyncio worker, `--concurrency 8`, LISTEN/NOTIFY on."""

from __future__ import annotations

import os

import procrastinate

from bench.peers.peer import CONCURRENCY, QUEUE, Peer, fresh_postgres_database, module_cli

DATABASE = "peers_procrastinate"
URL_ENV = "PEERS_PROCRASTINATE_URL"

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=os.environ.get(URL_ENV, "")),
)
_COUNTS = (
    "SELECT count(*) FILTER (WHERE status = 'todo') AS waiting,"
    " count(*) FILTER (WHERE status IN ('todo', 'doing')) AS unfinished FROM procrastinate_jobs"
)


@app.task(queue=QUEUE, name="noop")
async def noop() -> None:
    """The job: nothing."""


class Procrastinate(Peer):
    name = "procrastinate"
    backend = "postgresql"
    job = "a task by name; JSON arguments; the row kept"

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

    async def enqueue(self, count: int) -> None:
        for _ in range(count):
            await self.task.defer_async()

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
