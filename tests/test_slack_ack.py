"""Slack is answered at once; the work happens after the acknowledgement, and nothing leaks into the logs."""

from __future__ import annotations

import logging

from bot.logs import JsonFormatter
from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import alice, leadbot, workspace, world  # noqa: F401

SECRET_TEXT = "Priya in accounts keeps missing the Thursday deadline"


async def test_an_event_is_acknowledged_while_the_reply_is_still_on_its_way(alice, world):
    world.fake.hang.add("chat.postMessage")  # Slack's API is slow today
    envelope = rq.event_envelope(
        alice.team, rq.dm_event(alice.team, alice.user, alice.dm_channel, "help"), alice.workspace.bot_user_id
    )
    resp = await alice.slack.event(envelope)
    assert resp.status == 200
    assert alice.bots[0].runtime.inflight.count == 1, "acknowledged before the reply was sent"
    world.fake.release()
    await alice.settle()
    assert len(alice.posts()) == 1


async def test_a_slash_command_is_acknowledged_before_the_answer(alice, world):
    world.fake.hang.add("respond")
    resp = await alice.slack.command(
        rq.slash_form(alice.team, alice.user, "C0LEADS", "help", world.fake.response_url("slow"))
    )
    assert resp.status == 200
    assert alice.bots[0].runtime.inflight.count == 1
    world.fake.release()
    await alice.settle()
    assert world.fake.of("respond", _name="slow")


async def test_a_button_press_is_acknowledged_before_the_answer(alice, world):
    reply = await alice.dm("things are a bit off with the team")
    world.fake.hang.add("chat.postMessage")
    payload = rq.block_actions(
        alice.team,
        alice.user,
        alice.dm_channel,
        reply.buttons()[0],
        world.fake.response_url("p"),
        message=rq.message_of(reply),
    )
    resp = await alice.slack.interaction(payload)
    assert resp.status == 200
    assert alice.bots[0].runtime.inflight.count == 1
    world.fake.release()
    await alice.settle()
    assert len(alice.posts()) == 2


async def test_what_a_manager_types_never_reaches_the_logs(alice, world, caplog):
    caplog.set_level(logging.DEBUG)
    await alice.dm(SECRET_TEXT)
    await alice.command(SECRET_TEXT)
    await alice.mention("C0LEADS", SECRET_TEXT)
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert lines, "something was logged"
    for word in ("Priya", "Thursday deadline"):
        assert not [line for line in lines if word in line], f"{word!r} was logged"


async def test_requests_are_counted_by_surface(alice, world, leadbot):
    await alice.dm("help")
    await alice.command("help")
    async with world.session.get(f"{leadbot.url}/metrics") as resp:
        text = await resp.text()
    assert 'leadbot_requests_total{platform="slack",status="2xx",surface="dm"} 1.0' in text
    assert 'leadbot_requests_total{platform="slack",status="2xx",surface="slash"} 1.0' in text
    assert 'leadbot_turns_total{event="info",platform="slack"} 2.0' in text
