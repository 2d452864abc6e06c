"""A 429 on one weekly-nudge post holds back the whole workspace's fan-out for its Retry-After.

Slack's limits on chat.postMessage are per workspace: a 429 for one channel
means every post to that workspace would be refused too. End to end: the
scheduler's own send_due posts through the real Slack messenger to the fake
Web API, which refuses the workspace's first post with Retry-After: 2.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.nudges.fanout import Limits
from bot.server.app import NUDGE_SCHEDULER
from dialogs.nudges.schedule import Schedule, slot_at
from tests.fakes.slack_harness import alice, leadbot, workspace, world  # noqa: F401 - fixtures
from tests.fakes.throttle import Throttle
from tests.nudge_support import LONG_AGO, subscribe

RETRY_AFTER = 2
CHANNELS = 24


async def test_a_429_on_one_nudge_post_holds_back_the_workspaces_other_posts(world, workspace, leadbot):
    keys = [("slack", workspace.team_id, f"C{i:05d}") for i in range(CHANNELS)]
    await subscribe(leadbot.services.db, keys, on_at=LONG_AGO)
    world.fake.throttle = Throttle(first=1, retry_after=RETRY_AFTER)
    slot = slot_at(Schedule(), datetime.now(UTC))

    report = await leadbot.app[NUDGE_SCHEDULER].send_due(slot.due_at + timedelta(minutes=1))

    assert report.sent == CHANNELS and report.ok, vars(report)
    posts = world.fake.of("chat.postMessage")
    assert len(posts) == CHANNELS and len({p.args["channel"] for p in posts}) == CHANNELS, "each channel once"
    attempts = [c for c in world.fake.attempts if c.method == "chat.postMessage"]
    refused_at = attempts[0].at
    inside = [c for c in attempts[1:] if c.at < refused_at + RETRY_AFTER - 0.05]
    # Posts already on their way when the 429 came back may still arrive; no new one is started.
    assert len(inside) < Limits().per_workspace, f"{len(inside)} posts went out inside the Retry-After window"
