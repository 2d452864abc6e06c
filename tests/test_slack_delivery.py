"""Getting replies to Slack exactly once: retried events, replicas, rate limits, channels that are gone."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.delivery import Target
from bot.metrics import Metrics
from bot.slack.messenger import build_messenger
from dialogs.models import Choice, Reply
from tests.fakes import slack_requests as rq
from tests.fakes.parts import services_for
from tests.fakes.slack_harness import SlackWorld, alice, leadbot, slack_settings, workspace, world  # noqa: F401
from tests.test_slack_conversation import VAGUE


async def test_a_retried_event_gets_one_reply(alice, world):
    event = rq.dm_event(alice.team, alice.user, alice.dm_channel, VAGUE)
    envelope = rq.event_envelope(alice.team, event, alice.workspace.bot_user_id, event_id="Ev0RETRY01")
    first = await alice.slack.event(envelope)
    retry = await alice.slack.event(envelope, retry_num=1)  # Slack thought the first was not acknowledged
    assert first.status == retry.status == 200
    await alice.settle()
    assert len(alice.posts()) == 1
    assert alice.bots[0].metrics.turns.labels("slack", "duplicate")._value.get() == 1


async def test_the_same_retry_to_two_replicas_on_one_postgresql_gets_one_reply(pg_database, cache_dir):
    world = await SlackWorld().start()
    try:
        ws = world.fake.add_workspace("T0PG", "xoxb-pg", bot_user_id="U0BOTPG")
        settings = slack_settings(pg_database, world.fake, cache_dir, token="xoxb-pg")
        one = await world.add_leadbot(settings)
        two = await world.add_leadbot(settings)
        event = rq.dm_event(ws.team_id, "U0PGUSER", "D0PGUSER", VAGUE)
        envelope = rq.event_envelope(ws.team_id, event, ws.bot_user_id, event_id="Ev0REPLICA1")
        responses = await asyncio.gather(
            world.sender(one).event(envelope), world.sender(two).event(envelope, retry_num=1)
        )
        assert [r.status for r in responses] == [200, 200]
        await one.settle()
        await two.settle()
        assert len(world.fake.of("chat.postMessage", channel="D0PGUSER")) == 1
        turns = [bot.metrics.turns.labels("slack", "duplicate")._value.get() for bot in (one, two)]
        assert sorted(turns) == [0, 1], "one replica answered, the other saw a duplicate"
    finally:
        await world.stop()


async def test_a_429_is_retried_after_retry_after_and_delivered_once(alice, world):
    world.fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
    reply = await alice.dm("help")
    attempts = [c for c in world.fake.attempts if c.method == "chat.postMessage"]
    assert len(attempts) == 2, "the first attempt was rate limited, the second went through"
    assert attempts[1].at - attempts[0].at >= 1.0, "Retry-After was honoured"
    assert len(alice.posts()) == 1 and reply.header()
    assert alice.bots[0].metrics.retries.labels("slack")._value.get() == 1


async def test_a_server_error_is_retried(alice, world):
    world.fake.fail_next("chat.postMessage", status=503, error="service_unavailable")
    await alice.dm("help")
    assert len(alice.posts()) == 1
    assert alice.bots[0].metrics.retries.labels("slack")._value.get() == 1


async def test_a_channel_the_bot_was_removed_from_is_logged_and_ignored(alice, world, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    world.fake.channel_errors["C0GONE"] = "not_in_channel"
    event = rq.mention_event(alice.team, alice.user, "C0GONE", VAGUE, alice.workspace.bot_user_id)
    resp = await alice.slack.event(rq.event_envelope(alice.team, event, alice.workspace.bot_user_id))
    assert resp.status == 200
    await alice.settle()
    assert world.fake.of("chat.postMessage") == []
    assert alice.bots[0].metrics.delivery_failures.labels("slack")._value.get() == 1
    assert any(getattr(r, "detail", None) == "not_in_channel" for r in caplog.records)
    # and the bot carries on for everyone else
    assert (await alice.dm("help")).header()


# --- the Messenger, for proactive posts ------------------------------------------


@pytest.fixture
async def messenger(world, workspace, tmp_path, cache_dir):
    settings = slack_settings(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", world.fake, cache_dir, token=workspace.token)
    services = await services_for(settings)
    yield build_messenger(settings, services.db, Metrics())
    await services.close()


NUDGE = Reply(
    kind="info",
    title="This week",
    lines=["Ask the team what got in the way."],
    choices=[Choice(label="Useful", value="poll:yes")],
    choice_token="abc",
)


async def test_messenger_posts_and_updates(messenger, world, workspace):
    target = Target(platform="slack", workspace_id=workspace.team_id, channel_id="C0TEAM")
    sent = await messenger.post(target, NUDGE)
    assert sent.outcome == "sent" and sent.ref
    [post] = world.fake.of("chat.postMessage", channel="C0TEAM")
    assert post.token == workspace.token and post.header() == "This week" and post.text
    updated = await messenger.update(
        target, sent.ref, NUDGE.model_copy(update={"title": "This week (closed)", "choices": []})
    )
    assert updated.outcome == "sent"
    [update] = world.fake.of("chat.update", ts=sent.ref)
    assert update.header() == "This week (closed)"


@pytest.mark.parametrize(
    "error", ["channel_not_found", "is_archived", "not_in_channel", "account_inactive", "token_revoked"]
)
async def test_messenger_says_gone_when_the_channel_or_install_is_gone(messenger, world, workspace, error):
    world.fake.channel_errors["C0TEAM"] = error
    delivery = await messenger.post(
        Target(platform="slack", workspace_id=workspace.team_id, channel_id="C0TEAM"), NUDGE
    )
    assert delivery.outcome == "gone" and delivery.detail == error


async def test_messenger_says_throttled_at_once_so_the_fan_out_can_hold_the_workspace(messenger, world, workspace):
    # Not retried inside the call: the fan-out holds every post to the workspace for the Retry-After
    # (tests/test_slack_nudge_throttling.py).
    world.fake.fail_next("chat.postMessage", status=429, times=1, headers={"Retry-After": "7"})
    delivery = await messenger.post(
        Target(platform="slack", workspace_id=workspace.team_id, channel_id="C0TEAM"), NUDGE
    )
    assert delivery.outcome == "throttled" and delivery.retry_after == 7
    assert len([c for c in world.fake.attempts if c.method == "chat.postMessage"]) == 1


async def test_messenger_says_failed_for_other_api_errors(messenger, world, workspace):
    world.fake.channel_errors["C0TEAM"] = "msg_too_long"
    delivery = await messenger.post(
        Target(platform="slack", workspace_id=workspace.team_id, channel_id="C0TEAM"), NUDGE
    )
    assert delivery.outcome == "failed" and delivery.detail == "msg_too_long"


async def test_messenger_says_unknown_when_the_call_times_out(messenger, world, workspace, monkeypatch):
    monkeypatch.setattr("bot.slack.client.TIMEOUT_SECONDS", 0.3)
    world.fake.hang.add("chat.postMessage")
    delivery = await messenger.post(
        Target(platform="slack", workspace_id=workspace.team_id, channel_id="C0TEAM"), NUDGE
    )
    assert delivery.outcome == "unknown"
