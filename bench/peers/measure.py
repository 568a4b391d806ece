"""One measurement of one peer: `python -m bench.peers.measure PEER MODE JOBS` prints JSON.

Modes, as an application uses a queue (one client, one submit at a time):
- `enqueue-then-run`: submit every job, then start the worker; jobs/s is the drain,
  from the first job leaving the queue to the last finishing (the worker's boot is
  not counted);
- `while-running`: start the worker, run one job through it (it is up), then submit;
  jobs/s is from the first submit to the last job finished.

Each submit is timed on its own (from the call to the library's confirmation): the
p50 and p99 of a submit come with the run's rates.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time

from bench.peers.peer import ROOT, Peer

POLL_SECONDS = 0.01
DEADLINE_SECONDS = 600.0  # a run that takes longer is abandoned
LOGS = ROOT / "bench" / "results" / "peers"


#: Each peer by its command-line name: (module, class, argument). Only the one measured
#: is imported: the peers need their libraries' venv, progen the service's.
PEERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "saq-redis": ("saq_peer", "Saq", ("redis",)),
    "saq-postgres": ("saq_peer", "Saq", ("postgresql",)),
    "procrastinate": ("procrastinate_peer", "Procrastinate", ()),
    "arq": ("arq_peer", "Arq", ()),
    "celery": ("celery_peer", "CeleryPeer", ()),
    "rq": ("rq_peer", "RQ", ()),
    "progen-sqlite": ("progen_peer", "ProgenClient", ("sqlite",)),
    "progen-postgres": ("progen_peer", "ProgenClient", ("postgresql",)),
    "progen-http-sqlite": ("progen_peer", "ProgenHTTP", ("sqlite",)),
    "progen-http-postgres": ("progen_peer", "ProgenHTTP", ("postgresql",)),
}


def make_peer(key: str) -> Peer:
    """The peer named `key`."""
    module, cls, args = PEERS[key]
    return getattr(importlib.import_module(f"bench.peers.{module}"), cls)(*args)


def start_worker(peer: Peer, key: str) -> subprocess.Popen[bytes]:
    """The peer's worker in its own process group (prefork children die with it)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{key}.log").open("ab")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        peer.worker(), cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )


def stop_worker(worker: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal the worker's group; SIGKILL it if it has not gone within 10 s."""
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, sig)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


async def wait_until(peer: Peer, done: object, *, timeout: float = DEADLINE_SECONDS) -> float:
    """Poll `peer.counts()` until `done(waiting, unfinished)`; the time it first held."""
    for _ in range(int(timeout / POLL_SECONDS)):
        if done(*await peer.counts()):  # type: ignore[operator]
            return time.perf_counter()
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(f"{peer.name}: not done within {timeout:.0f} s")


async def submits(peer: Peer, jobs: int) -> list[float]:
    """Submit `jobs` jobs one at a time; each one's latency in seconds, sorted."""
    latencies = []
    for _ in range(jobs):
        start = time.perf_counter()
        await peer.submit()
        latencies.append(time.perf_counter() - start)
    return sorted(latencies)


async def measure(key: str, mode: str, jobs: int) -> dict[str, object]:
    """One run of `jobs` no-op jobs through peer `key` in `mode`."""
    peer = make_peer(key)
    await peer.reset()
    await peer.open()
    worker = None
    try:
        if mode == "while-running":
            worker = start_worker(peer, key)
            await peer.enqueue(1)
            await wait_until(peer, lambda _w, unfinished: unfinished == 0, timeout=60)
        began = first_submit = time.perf_counter()
        latencies = await submits(peer, jobs)
        submitted = time.perf_counter()
        if mode == "enqueue-then-run":
            worker = start_worker(peer, key)
            began = await wait_until(peer, lambda waiting, _u: waiting < jobs)
        ended = await wait_until(peer, lambda _w, unfinished: unfinished == 0)
    finally:
        if worker is not None:
            stop_worker(worker)
        await peer.close()
    return {
        "peer": key,
        "name": peer.name,
        "backend": peer.backend,
        "job": peer.job,
        "mode": mode,
        "jobs": jobs,
        "jobs_per_second": jobs / (ended - began),
        "submits_per_second": jobs / (submitted - first_submit),
        "submit_p50_ms": 1000 * statistics.median(latencies),
        "submit_p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
    }


def main() -> None:
    key, mode, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(asyncio.run(measure(key, mode, jobs))))


if __name__ == "__main__":
    main()
