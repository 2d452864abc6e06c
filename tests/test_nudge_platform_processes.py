"""`leadbot nudge send-due` in several OS processes on one PostgreSQL, posting through the real Slack and
Teams messengers to local fakes of the Slack Web API and the Bot Framework connector.

Half the channels are Slack channels of one workspace (SLACK_BOT_TOKEN,
SLACK_API_URL pointing at the fake); half are Teams channels in five tenants,
reached through conversation references stored as if the bot had been added
to each team, whose service URL is the fake connector.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections import Counter
from datetime import timedelta

import pytest
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from bot.nudges.fanout import LEASE
from bot.teams.inbound import Place
from bot.teams.references import ReferenceStore
from tests.conftest import LEADBOT
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.throttle import Throttle
from tests.nudge_support import ledger, subscribe, utc

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

MONDAY = utc(2025, 1, 13, 9, 0)
N = 500
TOKEN = "xoxb-nudges-workspace"
TEAM = "T0NUDGE"
REPORT = re.compile(r"due (\d+): sent (\d+)")


def channel_keys(n: int) -> list[tuple[str, str, str]]:
    keys = []
    for i in range(n):
        if i % 2:
            keys.append(("teams", f"tenant-{i % 5}", f"19:c{i:05d}@thread.tacv2"))
        else:
            keys.append(("slack", TEAM, f"C{i:08d}"))
    return keys


@pytest.fixture
async def platforms(pg_engine):
    slack, connector = FakeSlackApi(), FakeConnector()
    await slack.start()
    slack.add_workspace(TEAM, TOKEN, bot_user_id="U0BOT")
    await connector.start()
    keys = channel_keys(N)
    references = ReferenceStore(pg_engine)
    for platform, tenant, channel in keys:
        if platform == "teams":
            reference = ConversationReference(
                channel_id="msteams",
                service_url=connector.service_url,
                bot=ChannelAccount(id="28:leadbot"),
                conversation=ConversationAccount(
                    id=channel, conversation_type="channel", tenant_id=tenant, is_group=True
                ),
            )
            await references.save(Place(tenant, "channel", channel, channel, channel, None), reference)
    await subscribe(pg_engine, keys, on_at=MONDAY - timedelta(days=1))
    yield slack, connector, keys
    await connector.stop()
    await slack.stop()


def env(database_url: str, slack: FakeSlackApi) -> dict[str, str]:
    out = os.environ.copy()
    out.update(
        DATABASE_URL=database_url, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack.api_url, LEADBOT_LOG_LEVEL="WARNING"
    )
    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        out.pop(name, None)
    return out


async def send_due(database_url: str, slack: FakeSlackApi, at) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        LEADBOT,
        "nudge",
        "send-due",
        "--at",
        at.isoformat(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(database_url, slack),
    )


async def finish(proc: asyncio.subprocess.Process, ok: bool = True) -> tuple[int, int]:
    """(due, sent) from the run's report line."""
    out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
    if ok:
        assert proc.returncode == 0, (out + err).decode()[-2000:]
    match = REPORT.search(out.decode())
    assert match, (out + err).decode()[-2000:]
    return int(match.group(1)), int(match.group(2))


def delivered(slack: FakeSlackApi, connector: FakeConnector) -> Counter:
    """Nudges that reached each channel, as the fakes recorded them."""
    got: Counter = Counter()
    for call in slack.of("chat.postMessage"):
        got[("slack", TEAM, call.args["channel"])] += 1
    tenants = {channel: tenant for platform, tenant, channel in channel_keys(N) if platform == "teams"}
    for sent in connector.sent:
        if sent.kind == "send":
            got[("teams", tenants.get(sent.conversation_id), sent.conversation_id)] += 1
    return got


async def test_three_send_due_processes_started_together_post_each_of_500_nudges_exactly_once(
    platforms, pg_engine, pg_database
):
    slack, connector, keys = platforms
    slack.post_delay = connector.send_delay = 0.02  # a little platform latency, so the runs overlap
    procs = [await send_due(pg_database, slack, MONDAY) for _ in range(3)]
    results = [await finish(p) for p in procs]
    got = delivered(slack, connector)
    assert sorted(got) == sorted(keys), "every channel got its nudge"
    assert max(got.values()) == 1, "and none got two"
    assert sum(sent for _, sent in results) == N
    rows = await ledger(pg_engine)
    assert (
        len(rows) == N and {r.status for r in rows.values()} == {"sent"} and all(r.message_ref for r in rows.values())
    )


async def test_send_due_processes_facing_429s_on_both_platforms_deliver_everything_once(
    platforms, pg_engine, pg_database
):
    slack, connector, keys = platforms
    # The workspace's first five posts get 429 (Retry-After: 1), then a steady limit; Teams limits the bot as a whole.
    slack.throttle = Throttle(rate=30, burst=10, first=5)
    connector.throttle = Throttle(rate=40, burst=5)
    procs = [await send_due(pg_database, slack, MONDAY) for _ in range(2)]
    results = [await finish(p) for p in procs]
    assert slack.throttle.refused >= 5 and connector.throttle.refused > 0, "both platforms pushed back"
    got = delivered(slack, connector)
    assert sorted(got) == sorted(keys) and max(got.values()) == 1
    assert sum(sent for _, sent in results) == N


async def test_a_send_due_killed_mid_fan_out_and_run_again_doubles_no_channel_and_accounts_for_every_one(
    platforms, pg_engine, pg_database
):
    """Slack and Teams cannot be asked whether a message arrived, so a send cut off mid-call is recorded as
    'unknown' and never repeated: a channel may miss that week's nudge, but never gets it twice (README)."""
    slack, connector, keys = platforms
    slack.post_delay = connector.send_delay = 0.2  # slow answers: sends are in flight when the process dies
    victim = await send_due(pg_database, slack, MONDAY)
    await slack.wait_for("chat.postMessage", count=40, timeout=120)
    victim.send_signal(signal.SIGKILL)
    await victim.wait()
    in_flight = {k[:3] for k, r in (await ledger(pg_engine)).items() if r.status == "sending"}
    assert in_flight, "killed with sends in flight"

    slack.post_delay = connector.send_delay = 0.0
    due, sent = await finish(await send_due(pg_database, slack, MONDAY + timedelta(minutes=1)))
    assert sent > 0, "a restart within the lease sends what was never claimed"
    await finish(await send_due(pg_database, slack, MONDAY + LEASE + timedelta(minutes=1)))
    rows = await ledger(pg_engine)
    assert len(rows) == N, "every channel's week is accounted for"
    got = delivered(slack, connector)
    assert max(got.values()) == 1, "none twice"
    unknown = {k[:3] for k, r in rows.items() if r.status == "unknown"}
    assert unknown == in_flight and {r.status for r in rows.values()} <= {"sent", "unknown"}
    assert set(keys) - set(got) <= unknown, "only a send that was cut off can be missing"
    due, sent = await finish(await send_due(pg_database, slack, MONDAY + timedelta(hours=3)))
    assert (due, sent) == (0, 0), "nothing is ever sent again that week"
