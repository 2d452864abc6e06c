"""The fan-out engine in several OS processes sharing one PostgreSQL database, with a messenger that can look up.

Each process is `python -m tests.fakes.send_due_main`: the same `send_due` as
`leadbot nudge send-due`, with a generic HTTP messenger that, unlike Slack and
Teams, can ask the platform whether a message arrived; so the engine's
reconciling of a dead process's in-flight sends is tested here. The real
Slack and Teams messengers, through the real CLI, are in
test_nudge_platform_processes.py.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import timedelta

import pytest

from bot.nudges.fanout import LEASE
from tests.fakes.nudge_api import FakeNudgeApi
from tests.nudge_support import channels, ledger, subscribe, utc
from tests.nudge_support import spawn_send_due as spawn

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

MONDAY = utc(2025, 1, 13, 9, 0)
WEEK = "2025-W03"
N = 500


async def finish(proc: asyncio.subprocess.Process) -> dict:
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_three_processes_started_together_post_each_of_500_nudges_exactly_once(pg_engine, pg_database, nudge_api):
    keys = channels(N, workspaces=10)
    await subscribe(pg_engine, keys, on_at=MONDAY - timedelta(days=1))
    nudge_api.delay = 0.05  # a little platform latency, so the runs overlap for a good while
    start = time.time() + 5
    procs = [
        await spawn(pg_database, nudge_api.url, MONDAY, "--concurrency", "8", "--start-at", str(start))
        for _ in range(3)
    ]
    reports = [await finish(p) for p in procs]
    assert len(nudge_api.posts) == N and not nudge_api.duplicates()
    assert sorted(nudge_api.per_channel()) == sorted(keys)
    assert sum(r["sent"] for r in reports) == N
    assert sum(1 for r in reports if r["sent"] > 0) >= 2, f"the runs did not overlap: {reports}"
    rows = await ledger(pg_engine)
    assert len(rows) == N and {r.status for r in rows.values()} == {"sent"}


async def test_processes_sharing_a_throttled_platform_deliver_everything_once(pg_engine, pg_database):
    api = FakeNudgeApi(throttle_first=6)  # every workspace answers its first few posts with 429 Retry-After: 1
    await api.start()
    try:
        keys = channels(N, workspaces=10)
        await subscribe(pg_engine, keys, on_at=MONDAY - timedelta(days=1))
        start = time.time() + 3
        procs = [await spawn(pg_database, api.url, MONDAY, "--start-at", str(start)) for _ in range(2)]
        reports = [await finish(p) for p in procs]
        workspaces = {k[:2] for k in keys}
        assert api.throttled == len(workspaces) * 6, "every workspace pushed back"
        assert len(api.posts) == N and not api.duplicates()
        assert sum(r["sent"] for r in reports) == N
    finally:
        await api.stop()


async def test_a_process_killed_mid_fan_out_and_restarted_misses_no_channel_and_doubles_none(
    pg_engine, pg_database, nudge_api
):
    keys = channels(N, workspaces=10)
    await subscribe(pg_engine, keys, on_at=MONDAY - timedelta(days=1))
    nudge_api.delay = 0.05  # slow answers: a good number of sends are in flight when the process dies
    victim = await spawn(pg_database, nudge_api.url, MONDAY, "--concurrency", "8")
    await nudge_api.wait_for_posts(150, timeout=60)
    victim.send_signal(signal.SIGKILL)
    await victim.wait()
    assert victim.returncode == -signal.SIGKILL
    before = await ledger(pg_engine)
    in_flight = [k for k, r in before.items() if r.status == "sending"]
    assert 0 < len(before) < N and in_flight, "killed part-way, with sends in flight"

    # A restart within the lease leaves the dead process's in-flight claims alone and sends the rest.
    soon = await finish(await spawn(pg_database, nudge_api.url, MONDAY + timedelta(minutes=1)))
    assert soon["sent"] == N - len(before)
    assert not nudge_api.duplicates()
    # Once the lease has run out, the in-flight claims are looked up: found ones are recorded, lost ones sent.
    later = await finish(await spawn(pg_database, nudge_api.url, MONDAY + LEASE + timedelta(minutes=1)))
    assert later["expired"] == len(in_flight)
    assert sorted(nudge_api.per_channel()) == sorted(keys), "no channel missed"
    assert not nudge_api.duplicates(), "none twice"
    rows = await ledger(pg_engine)
    assert {r.status for r in rows.values()} == {"sent"} and len(rows) == N
    assert all(r.message_ref for r in rows.values())
    assert (await finish(await spawn(pg_database, nudge_api.url, MONDAY + timedelta(hours=2))))["due"] == 0
    assert len(nudge_api.posts) == N


async def test_killed_with_a_platform_that_cannot_look_up_no_channel_is_doubled_and_the_lost_ones_are_recorded(
    pg_engine, pg_database, nudge_api
):
    """Where the platform cannot say whether a message arrived, the in-flight sends of a dead process are
    recorded as 'unknown' (counted as sent) and never posted again: a duplicate is worse than a miss."""
    keys = channels(N, workspaces=10)
    await subscribe(pg_engine, keys, on_at=MONDAY - timedelta(days=1))
    nudge_api.delay = 0.05
    victim = await spawn(pg_database, nudge_api.url, MONDAY, "--concurrency", "8", "--blind")
    await nudge_api.wait_for_posts(150, timeout=60)
    victim.send_signal(signal.SIGKILL)
    await victim.wait()
    in_flight = {k[:3] for k, r in (await ledger(pg_engine)).items() if r.status == "sending"}
    assert in_flight
    await finish(await spawn(pg_database, nudge_api.url, MONDAY + LEASE + timedelta(minutes=1), "--blind"))
    rows = await ledger(pg_engine)
    assert len(rows) == N, "every channel's week is accounted for"
    assert not nudge_api.duplicates(), "none twice"
    unknown = {k[:3] for k, r in rows.items() if r.status == "unknown"}
    assert unknown == in_flight and {r.status for r in rows.values()} == {"sent", "unknown"}
    assert set(keys) - set(nudge_api.per_channel()) <= unknown, "only a send that was in flight can be missing"
