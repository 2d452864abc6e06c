"""When the Bot Framework connector says no: retries, what a proactive caller is told, and what is logged.

The connector client retries 429 (honouring Retry-After) and 5xx with backoff;
a reply that still fails is counted and logged without any message text.
"""

from __future__ import annotations

import logging

import pytest

from bot.delivery import Target
from bot.logs import JsonFormatter
from bot.teams.messenger import build_messenger
from dialogs.models import Reply
from tests.fakes.teams_client import TeamsChannel, TeamsUser, installation_update, personal_message

TENANT = "3e7a4b6c-0000-4000-8000-000000000003"
JO = TeamsUser(TENANT, "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", name="Jo Bloggs")
CHANNEL = TeamsChannel(TENANT)
SECRET_PROBLEM = "Priya in my team has stopped answering emails from the housing panel"
NUDGE = Reply(kind="info", title="This week's nudge", lines=["Plans are nothing; planning is everything."])


@pytest.fixture
async def channel_target(teams, connector) -> Target:
    await teams.post(installation_update(connector.service_url, JO, "add", channel=CHANNEL))
    await teams.bot.settle()
    return Target(platform="teams", workspace_id=TENANT, channel_id=CHANNEL.channel_id)


async def test_a_429_is_retried_after_retry_after_and_delivered_once(teams, connector):
    connector.fail_next(429, retry_after=1)
    (reply,) = await teams.say(JO, "help")
    assert reply.texts[0] == "How leadbot works"
    await teams.bot.settle()
    assert connector.attempts == ["reply", "reply"]
    assert len(connector.messages(JO.personal_conversation)) == 1, "delivered exactly once"
    assert teams.bot.counter("leadbot_platform_retries_total", platform="teams") == 1
    assert teams.bot.counter("leadbot_delivery_failures_total", platform="teams") == 0


async def test_a_reply_that_keeps_failing_is_counted_and_logged_without_text(teams, connector, caplog):
    connector.fail_next(503, times=4)  # every attempt
    caplog.set_level(logging.DEBUG)
    status, _ = await teams.post(personal_message(connector.service_url, JO, SECRET_PROBLEM))
    assert status == 202
    await teams.bot.settle()
    assert connector.attempts == ["reply"] * 4 and connector.sent == []
    assert teams.bot.counter("leadbot_platform_retries_total", platform="teams") == 3
    assert teams.bot.counter("leadbot_delivery_failures_total", platform="teams") == 1
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    failure = [line for line in lines if "teams send failed" in line]
    assert failure and '"status": 503' in failure[0] and '"outcome": "failed"' in failure[0]
    for line in lines:
        assert "Priya" not in line and "housing panel" not in line, "no message text in any log line"
    # The next message is answered normally.
    (reply,) = await teams.say(JO, "help")
    assert reply.texts[0] == "How leadbot works"


async def test_proactive_send_still_throttled_after_retries(teams, connector, channel_target):
    connector.fail_next(429, times=4, retry_after=1)
    delivery = await teams.bot.runtime.messenger.post(channel_target, NUDGE)
    assert delivery.outcome == "throttled" and delivery.retry_after == 1
    assert connector.attempts == ["send"] * 4 and connector.sent == []
    assert teams.bot.counter("leadbot_platform_retries_total", platform="teams") == 3


async def test_proactive_send_after_a_5xx_then_success(teams, connector, channel_target):
    connector.fail_next(502)
    delivery = await teams.bot.runtime.messenger.post(channel_target, NUDGE)
    assert delivery.outcome == "sent"
    assert connector.attempts == ["send", "send"] and len(connector.sent) == 1


async def test_proactive_send_failing_with_5xx_every_time(teams, connector, channel_target):
    connector.fail_next(500, times=4)
    delivery = await teams.bot.runtime.messenger.post(channel_target, NUDGE)
    assert delivery.outcome == "failed" and connector.sent == []
    assert teams.bot.counter("leadbot_delivery_failures_total", platform="teams") == 1


@pytest.mark.parametrize("status,code", [(403, "BotNotInConversationRoster"), (404, "ConversationNotFound")])
async def test_proactive_send_to_a_removed_bot_or_deleted_team_is_gone(teams, connector, channel_target, status, code):
    connector.fail_next(status, code=code)
    delivery = await teams.bot.runtime.messenger.post(channel_target, NUDGE)
    assert delivery.outcome == "gone" and delivery.detail == code
    assert connector.attempts == ["send"], "not retried"


async def test_proactive_send_without_an_answer_is_unknown(teams, connector, channel_target):
    messenger = build_messenger(teams.bot.services, teams.bot.metrics, timeout=0.5)
    release = connector.hold_next()
    try:
        delivery = await messenger.post(channel_target, NUDGE)
    finally:
        release.set()
    assert delivery.outcome == "unknown", "it may or may not have arrived"
    assert connector.attempts == ["send"], "not sent again: a second copy is worse than none"
