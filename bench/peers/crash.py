"""Crash recovery beside the peers: `python -m bench.peers.crash PEER CONFIG` prints JSON.

The same scenario for every system: a worker starts one long job (LONG_SECONDS); 3 s
after the job started, the worker's whole process group is killed with SIGKILL and a
new worker starts at once. Measured: the time from the kill until the job starts
again, or none within the window. Then, apart, a healthy long job with no kill:
how often it started and ran to its end (a second start, or no end, means the
settings that bring a dead worker's job back also rerun, or cut short, a healthy one).
PEERS_CONFIG=best in the environment measures each library's best documented settings
(`Peer.best`) instead of its defaults: `PEERS_CONFIG=best python -m bench.peers.crash rq`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time

from bench.peers.measure import make_peer, start_worker, stop_worker
from bench.peers.peer import BEST, LONG_SECONDS, MARKS_ENV, Peer

KILL_AFTER_SECONDS = 3.0
POLL_SECONDS = 0.05


async def _starts(peer: Peer, count: int, window: float) -> list[float]:
    """The job's start times, once there are `count` of them or the window has passed."""
    for _ in range(int(window / POLL_SECONDS)):
        starts = peer.starts()
        if len(starts) >= count:
            return starts
        await asyncio.sleep(POLL_SECONDS)
    return peer.starts()


async def _scenario(key: str, *, kill: bool, window: float) -> dict[str, object]:
    peer = make_peer(key)
    with tempfile.TemporaryDirectory() as folder:
        os.environ[MARKS_ENV] = os.path.join(folder, "marks")
        await peer.reset()
        await peer.open()
        workers = [start_worker(peer, f"crash-{key}")]
        try:
            await peer.enqueue_long()
            first = await _starts(peer, 1, 120)
            if not first:
                raise RuntimeError(f"{key}: the long job never started")
            if not kill:  # watch it for twice its length: reruns and ends
                starts = await _starts(peer, 2, LONG_SECONDS * 2 + 10)
                return {"healthy_starts": len(starts), "healthy_ends": peer.ends()}
            await asyncio.sleep(max(0.0, first[0] + KILL_AFTER_SECONDS - time.time()))
            stop_worker(workers[0], signal.SIGKILL)
            killed = time.time()
            workers.append(start_worker(peer, f"crash-{key}"))
            starts = await _starts(peer, 2, window)
            again = starts[1] - killed if len(starts) > 1 else None
            return {"rerun_after_kill_seconds": again}
        finally:
            for worker in workers:
                stop_worker(worker)
            await peer.close()


async def measure(key: str, window: float) -> dict[str, object]:
    """Both scenarios of peer `key`."""
    peer = make_peer(key)
    result: dict[str, object] = {
        "peer": key,
        "name": peer.name,
        "config": "best" if BEST else "defaults",
        "settings": peer.best if BEST else "defaults",
        "window_seconds": window,
        "long_seconds": LONG_SECONDS,
    }
    result.update(await _scenario(key, kill=True, window=window))
    result.update(await _scenario(key, kill=False, window=window))
    return result


def main() -> None:
    key = sys.argv[1]
    window = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
    print(json.dumps(asyncio.run(measure(key, window))))


if __name__ == "__main__":
    main()
