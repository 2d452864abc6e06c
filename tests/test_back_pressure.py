"""A burst bigger than the process takes: every message answered or told to try again, none silent, none twice.

LEADBOT_MAX_TURNS_IN_FLIGHT bounds the turns one process works on at once, per
platform. Over real HTTP, with a small bound and a slow platform API (so the
admitted turns stay in flight while the burst arrives), what the fake Web API
and the fake connector received is counted per person.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from dialogs.content_loader import load_content
from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import SlackWorld, slack_settings
from tests.fakes.teams_client import TeamsClient, TeamsUser, personal_message, running_leadbot

BUSY = load_content().in_language("en").say("busy")  # the default language's words (content/wording.yaml)
LIMIT = 3
PEOPLE = 40


def _slow_teams(database: Path, cache_dir, connector, tenant: str):
    """Settings bounded at LIMIT turns, a connector slow enough to keep them in flight, and PEOPLE users of one tenant."""
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        LEADBOT_CACHE_DIR=str(cache_dir),
        LEADBOT_MAX_TURNS_IN_FLIGHT=LIMIT,
    )
    connector.send_delay = 0.3
    return settings, [TeamsUser(tenant, f"2c3d4e5f-6a7b-4c8d-9e0f-{i:012d}") for i in range(PEOPLE)]


async def _slow_slack_bot(world: SlackWorld, db: Path, cache_dir, team: str, bot_user: str, send_delay: float, **env):
    """A workspace and leadbot on SQLite whose replies take `send_delay` to send, so turns overlap."""
    token = f"xoxb-{team.lower()}"
    ws = world.fake.add_workspace(team, token, bot_user_id=bot_user)
    bot = await world.add_leadbot(
        slack_settings(f"sqlite+aiosqlite:///{db}", world.fake, cache_dir, token=token, **env)
    )
    world.fake.slow["chat.postMessage"] = send_delay
    return ws, bot, world.sender(bot)


async def test_a_slack_burst_of_dms_and_nudge_commands_is_all_answered_or_told_to_retry(tmp_path, cache_dir):
    world = await SlackWorld().start()
    try:
        # The admitted turns are still sending while the rest arrive.
        ws, bot, sender = await _slow_slack_bot(
            world, tmp_path / "burst.db", cache_dir, "T0BURST", "U0BOTB", 0.3, LEADBOT_MAX_TURNS_IN_FLIGHT=LIMIT
        )
        dms = [
            rq.event_envelope(ws.team_id, rq.dm_event(ws.team_id, f"U{i:04d}", f"D{i:04d}", "help"), ws.bot_user_id)
            for i in range(PEOPLE)
        ]
        commands = [
            rq.slash_form(ws.team_id, f"U{i:04d}", f"C{i:04d}", "nudge on", world.fake.response_url(f"cmd{i}"))
            for i in range(PEOPLE)
        ]
        responses = await asyncio.gather(*(sender.event(e) for e in dms), *(sender.command(f) for f in commands))
        assert all(r.status == 200 for r in responses)
        await bot.settle()

        busy = answered = 0
        for i in range(PEOPLE):
            (post,) = world.fake.of("chat.postMessage", channel=f"D{i:04d}")  # one answer each: none silent, none twice
            (command_answer,) = world.fake.of("respond", _name=f"cmd{i}")
            for text in (post.text, command_answer.args["text"]):
                if BUSY in text:
                    busy += 1
                else:
                    answered += 1
        assert busy + answered == 2 * PEOPLE
        assert busy > 0, "the bound was reached"
        assert answered >= LIMIT
        assert bot.metrics.turns.labels("slack", "busy")._value.get() == busy
        assert bot.metrics.turns.labels("slack", "error")._value.get() == 0
        # Every command answered "on" really turned nudges on; every "busy" one changed nothing.
        subscribed = len(await bot.services.nudge_store.subscriptions())
        assert subscribed == sum(
            1 for i in range(PEOPLE) if BUSY not in world.fake.of("respond", _name=f"cmd{i}")[0].args["text"]
        )
    finally:
        await world.stop()


async def test_a_teams_burst_is_all_answered_or_told_to_retry(tmp_path, cache_dir, connector):
    settings, people = _slow_teams(
        tmp_path / "teams.db", cache_dir, connector, tenant="4f8b5c7d-0000-4000-8000-0000000000aa"
    )
    async with running_leadbot(settings) as bot:
        teams = TeamsClient(bot, connector)
        try:
            results = await asyncio.gather(
                *(teams.post(personal_message(connector.service_url, p, "help")) for p in people)
            )
            assert all(status == 202 for status, _ in results)
            await bot.settle()
            busy = answered = 0
            for p in people:
                (sent,) = connector.messages(p.personal_conversation)  # one answer each: none silent, none twice
                if BUSY in " ".join(sent.texts):
                    busy += 1
                else:
                    answered += 1
            assert busy + answered == PEOPLE and busy > 0 and answered >= LIMIT
            assert bot.counter("leadbot_turns_total", platform="teams", event="busy") == busy
        finally:
            await teams.close()


async def test_at_shutdown_accepted_slack_turns_are_finished_not_dropped(tmp_path, cache_dir):
    world = await SlackWorld().start()
    try:
        ws, bot, sender = await _slow_slack_bot(world, tmp_path / "stop.db", cache_dir, "T0STOP", "U0BOTS", 0.5)
        envelopes = [
            rq.event_envelope(ws.team_id, rq.dm_event(ws.team_id, f"U{i:04d}", f"D{i:04d}", "help"), ws.bot_user_id)
            for i in range(10)
        ]
        responses = await asyncio.gather(*(sender.event(e) for e in envelopes))
        assert all(r.status == 200 for r in responses)
        assert bot.runtime.inflight.count > 0, "still sending when the shutdown starts"
        await bot.runner.cleanup()  # what SIGTERM does: drain, then close
        for i in range(10):
            assert len(world.fake.of("chat.postMessage", channel=f"D{i:04d}")) == 1
    finally:
        await world.stop()


# --- in Welsh ---------------------------------------------------------------------------------------

BUSY_CY = load_content().in_language("cy").say("busy")  # content/cy/wording.yaml


async def test_a_welsh_slack_burst_is_told_to_retry_in_welsh(tmp_path, cache_dir):
    """Nothing is read from the database for a refused turn: a message written in Welsh is enough."""
    world = await SlackWorld().start()
    try:
        ws, bot, sender = await _slow_slack_bot(
            world, tmp_path / "cy.db", cache_dir, "T0BRST2", "U0BOTC", 0.3, LEADBOT_MAX_TURNS_IN_FLIGHT=LIMIT
        )
        welsh = "Mae'r tîm yn brysur a does neb yn gwybod beth sydd angen ei wneud gyntaf"
        dms = [
            rq.event_envelope(ws.team_id, rq.dm_event(ws.team_id, f"U{i:04d}", f"D{i:04d}", welsh), ws.bot_user_id)
            for i in range(PEOPLE)
        ]
        responses = await asyncio.gather(*(sender.event(e) for e in dms))
        assert all(r.status == 200 for r in responses)
        await bot.settle()
        texts = [world.fake.of("chat.postMessage", channel=f"D{i:04d}")[0].text for i in range(PEOPLE)]
        assert any(BUSY_CY in t for t in texts), "the bound was reached, and said in Welsh"
        assert not any(BUSY in t for t in texts), "no one writing in Welsh is told to retry in English"
    finally:
        await world.stop()


async def test_a_teams_burst_with_a_welsh_locale_is_told_to_retry_in_welsh(tmp_path, cache_dir, connector):
    settings, people = _slow_teams(
        tmp_path / "teams-cy.db", cache_dir, connector, tenant="4f8b5c7d-0000-4000-8000-0000000000ab"
    )

    def welsh_locale(activity: dict) -> dict:
        activity["locale"] = "cy-GB"
        activity["entities"][0]["locale"] = "cy-GB"
        return activity

    async with running_leadbot(settings) as bot:
        teams = TeamsClient(bot, connector)
        try:
            results = await asyncio.gather(
                *(teams.post(welsh_locale(personal_message(connector.service_url, p, "help"))) for p in people)
            )
            assert all(status == 202 for status, _ in results)
            await bot.settle()
            said = [" ".join(connector.messages(p.personal_conversation)[0].texts) for p in people]
            assert any(BUSY_CY in s for s in said), "the bound was reached, and said in Welsh"
            assert not any(BUSY in s for s in said)
        finally:
            await teams.close()
