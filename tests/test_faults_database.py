"""The database goes away and comes back, under a running `leadbot serve` and under the nudge fan-out.

Each test has a PostgreSQL server of its own (tests/fakes/private_pg.py) that it
stops and starts; the shared server is never touched.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from bot.nudges.fanout import LEASE, NudgeSender
from bot.nudges.scheduler import NudgeScheduler
from bot.storage.db import make_engine
from bot.storage.migrate import upgrade
from bot.storage.nudge_store import SqlNudgeStore
from tests.fakes.http_messenger import HttpMessenger
from tests.fakes.serve_process import LEADBOT, ServeProcess, serve_env
from tests.fakes.teams_client import TeamsClient
from tests.fault_support import SAM, alice, private_pg, processes, slack_fake  # noqa: F401
from tests.nudge_support import channels, ledger, spawn_send_due, subscribe, utc

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

MONDAY = utc(2025, 1, 13, 9, 0)  # nudges are due at 09:00 on Mondays by default
PROBLEM = "half the team still think we're doing the old triage and the other half the new one"


def _said(call) -> str:
    return call.text + "\n" + call.all_text()


async def test_a_database_outage_gets_a_kind_reply_not_silence_and_recovers_without_a_restart(
    private_pg, slack_fake, connector, alice, processes, tmp_path, content
):
    unavailable = content.messages.unavailable
    served = await ServeProcess.start(serve_env(private_pg.url, slack_fake), tmp_path / "serve")
    processes.append(served)
    teams = TeamsClient(SimpleNamespace(url=served.url), connector)
    try:
        assert (await served.get("/readyz"))[0] == 200
        assert unavailable not in _said(await alice.dm(served, "hello"))
        (hello,) = await teams.say(SAM, "hello")
        assert unavailable not in hello.texts

        private_pg.stop()

        status, body = await served.get("/readyz")
        assert status == 503 and body["database"] == "unreachable"
        assert (await served.get("/healthz"))[0] == 200, "the process itself is fine: no restart wanted"
        slack_reply = await alice.dm(served, PROBLEM)
        assert unavailable in _said(slack_reply)
        assert not slack_reply.buttons(), "nothing to press while the bot cannot remember the answer"
        (teams_reply,) = await teams.say(SAM, PROBLEM)
        assert unavailable in teams_reply.texts

        private_pg.start()

        assert (await served.get("/readyz"))[0] == 200, "ready again as soon as the database answers"
        after = await alice.dm(served, PROBLEM)
        assert unavailable not in _said(after) and after.buttons(), "answered normally, with choices"
        (teams_after,) = await teams.say(SAM, PROBLEM)
        assert unavailable not in teams_after.texts and teams_after.actions
    finally:
        await teams.close()

    assert served.proc.returncode is None, "still the same process"
    logs = served.logs()
    assert any(r.get("event") == "unavailable" for r in logs), "the outage is in the log"
    written = "\n".join(served.lines)
    assert "triage" not in written, "no message text in the log, outage or not"
    assert "Traceback" not in written


# --- nudges across an outage ------------------------------------------------------------


@pytest.fixture
async def nudge_db(private_pg):
    db = make_engine(private_pg.url)
    await upgrade(db)
    yield db
    await db.dispose()


async def _send_due(database_url: str, fake_url: str, at, *extra: str) -> tuple[int, dict | None, str]:
    """One OS process running the weekly fan-out (tests/fakes/send_due_main.py) against the fake platform API."""
    proc = await spawn_send_due(database_url, fake_url, at, *extra)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    lines = out.decode().strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return proc.returncode, report, err.decode()


async def test_send_due_while_the_database_is_down_says_so_plainly(private_pg, nudge_db, tmp_path):
    private_pg.stop()
    env = serve_env(private_pg.url)
    proc = await asyncio.create_subprocess_exec(
        LEADBOT,
        "nudge",
        "send-due",
        cwd=str(tmp_path),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1
    assert "cannot reach the database" in err.decode()
    assert "Traceback" not in err.decode()


async def test_the_database_stopping_mid_fan_out_loses_no_nudge_and_doubles_none(private_pg, nudge_db, nudge_api):
    keys = channels(120, workspaces=6)
    await subscribe(nudge_db, keys, on_at=MONDAY - timedelta(days=1))
    await nudge_db.dispose()
    nudge_api.delay = 0.2  # slow answers: many sends are in flight when the database goes
    run = asyncio.create_task(_send_due(private_pg.url, nudge_api.url, MONDAY, "--concurrency", "4"))
    await nudge_api.wait_for_posts(20, timeout=60)
    private_pg.stop()
    code, _report, err = await run
    assert code != 0 or "unavailable" in err, "the run noticed the outage"
    sent_during = len(nudge_api.posts)
    assert 0 < sent_during < len(keys), "stopped part-way"
    private_pg.start()
    in_flight = [k for k, r in (await ledger(nudge_db)).items() if r.status == "sending"]
    assert in_flight, "some sends were under way when the database went: their outcome could not be recorded"

    # Straight after the outage: the channels never claimed are sent; claims left in flight wait for their lease.
    code, _soon, err = await _send_due(private_pg.url, nudge_api.url, MONDAY + timedelta(minutes=2))
    assert code == 0, err[-2000:]
    assert not nudge_api.duplicates()
    # After the lease: in-flight claims are looked up on the platform; found ones recorded, lost ones sent.
    code, later, err = await _send_due(private_pg.url, nudge_api.url, MONDAY + LEASE + timedelta(minutes=3))
    assert code == 0, err[-2000:]
    assert later["expired"] == len(in_flight), (later, len(in_flight))
    assert sorted(nudge_api.per_channel()) == sorted(keys), "no channel missed"
    assert not nudge_api.duplicates(), "none twice"
    rows = await ledger(nudge_db)
    assert len(rows) == len(keys) and {r.status for r in rows.values()} == {"sent"}
    code, again, _ = await _send_due(private_pg.url, nudge_api.url, MONDAY + timedelta(hours=3))
    assert code == 0 and again["due"] == 0 and len(nudge_api.posts) == len(keys)


async def test_the_scheduler_loop_rides_out_an_outage_and_sends_each_nudge_once_after_it(
    private_pg, nudge_db, nudge_api, content
):
    keys = channels(40, workspaces=4)
    await subscribe(nudge_db, keys, on_at=MONDAY - timedelta(days=1))
    private_pg.stop()
    messengers = {p: HttpMessenger(p, nudge_api.url) for p in ("slack", "teams")}
    scheduler = NudgeScheduler(
        NudgeSender(SqlNudgeStore(nudge_db), content),
        messengers,
        every=0.2,
        clock=lambda: MONDAY + timedelta(minutes=1),
    )
    ran = scheduler.ran
    loop = asyncio.create_task(scheduler.run_forever())
    try:
        for _ in range(3):  # three runs with the database down: nothing sent, the loop carries on
            ran.clear()
            await asyncio.wait_for(ran.wait(), 30)
        assert not nudge_api.posts and not loop.done()
        private_pg.start()
        await nudge_api.wait_for_posts(len(keys), timeout=60)
        for _ in range(3):  # and a few more runs once everything is sent: nothing more goes out
            ran.clear()
            await asyncio.wait_for(ran.wait(), 30)
    finally:
        scheduler.stop_claiming()
        await asyncio.wait_for(loop, 30)
        for m in messengers.values():
            await m.close()
    assert sorted(nudge_api.per_channel()) == sorted(keys) and not nudge_api.duplicates()
