"""The orphan rules: which owners are dead, and which are live peers to leave alone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

import factories
from jobs import clock, instances, recovery

CONFIG = factories.engine_config(stale_seconds=90, backoff_base=0)


@pytest.fixture
def me() -> instances.Me:
    return instances.me()


def _owned_running(sessions, who: instances.Me) -> str:
    factories.register(sessions, who)
    return factories.running(sessions, owner=who.id).job_id


def _dead(sessions, me) -> list[str]:
    with sessions.read() as session:
        return instances.dead_owners(session, who=me)


def test_a_live_peer_process_on_this_host_is_not_dead(sessions, me):
    peer = instances.Me(f"{me.hostname}:{os.getppid()}:peer", me.hostname, os.getppid())
    clock.attach(sessions).shift(
        timedelta(seconds=5)
    )  # the parent started before the row was written
    _owned_running(sessions, peer)
    assert _dead(sessions, me) == []


def test_an_owner_whose_pid_is_gone_is_dead(sessions, me):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=10)
    gone = instances.Me(f"{me.hostname}:{child.pid}:old", me.hostname, child.pid)
    _owned_running(sessions, gone)
    assert _dead(sessions, me) == [gone.id]


def test_a_previous_life_with_our_own_pid_is_dead(sessions, me):
    previous = instances.Me(f"{me.hostname}:{me.pid}:before", me.hostname, me.pid)
    _owned_running(sessions, previous)
    assert _dead(sessions, me) == [previous.id]


def test_a_reused_pid_younger_than_the_owner_row_is_dead(sessions, me):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        owner = instances.Me(f"{me.hostname}:{sleeper.pid}:old", me.hostname, sleeper.pid)
        clock.attach(sessions).shift(
            timedelta(seconds=-60)
        )  # the row is older than the process now on that pid
        _owned_running(sessions, owner)
        clock.attach(sessions).reset()
        assert _dead(sessions, me) == [owner.id]
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)


def test_an_owner_marked_stopped_is_dead(sessions, me):
    peer = instances.Me(f"{me.hostname}:{os.getppid()}:peer", me.hostname, os.getppid())
    _owned_running(sessions, peer)
    with sessions.write() as session:
        instances.mark_stopped(session, instance_id=peer.id)
    assert _dead(sessions, me) == [peer.id]


def test_a_peer_on_another_host_is_judged_by_its_heartbeat_only(sessions, me):
    far = instances.Me("elsewhere:1:far", "another-host", 1)  # pid 1 "exists" here, or not
    job_id = _owned_running(sessions, far)
    assert _dead(sessions, me) == []
    with sessions.write() as session:
        assert recovery.sweep(session, who=me, config=CONFIG) == []
    clock.attach(sessions).shift(timedelta(seconds=91))
    with sessions.write() as session:
        [job] = recovery.sweep(session, who=me, config=CONFIG)
    assert job.id == job_id and job.error == recovery.stale_message(90)


def test_the_startup_sweep_leaves_a_live_peers_jobs_alone(sessions, me):
    peer = instances.Me(f"{me.hostname}:{os.getppid()}:peer", me.hostname, os.getppid())
    clock.attach(sessions).shift(timedelta(seconds=5))
    job_id = _owned_running(sessions, peer)
    clock.attach(sessions).reset()
    with sessions.write() as session:
        assert recovery.sweep(session, who=me, config=CONFIG) == []
    assert factories.load(sessions, job_id).status == "in_progress"


def test_a_dead_owners_job_gets_the_restart_message(sessions, me):
    previous = instances.Me(f"{me.hostname}:{me.pid}:before", me.hostname, me.pid)
    job_id = _owned_running(sessions, previous)
    with sessions.write() as session:
        [job] = recovery.sweep(session, who=me, config=CONFIG)
    assert job.id == job_id and job.error == recovery.RESTART_MESSAGE
    assert job.recovery_note.startswith("server restarted during step 1 of 5")
