"""A Slack DM and a Teams message go through the same turn router to the same answer.

One running leadbot serves both platforms on loopback, against the fake Slack
Web API and the fake Bot Framework connector. The same words from a manager in
Slack and in Teams get the same diagnosis, the same choices, and are counted the
same way; a nudge command is answered as a nudge command on both.
"""

from __future__ import annotations

import pytest

from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_harness import T1_TOKEN, SlackWorld, slack_settings
from tests.fakes.teams_client import RunningLeadbot, TeamsChannel, TeamsClient, TeamsUser, channel_mention

TEAM, BOT_USER = "T0BOTH", "U0BOTB"
TENANT = "2c7d9e1f-0000-4000-8000-00000000000b"
PAT = TeamsUser(TENANT, "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", name="Pat Jones")
PROBLEM = "my team keeps missing deadlines and nobody owns the plan"


@pytest.fixture
async def both(tmp_path, cache_dir):
    world = await SlackWorld().start()
    workspace = world.fake.add_workspace(TEAM, T1_TOKEN, bot_user_id=BOT_USER, bot_id="B0BOTB")
    connector = await FakeConnector().start()
    bot = await world.add_leadbot(
        slack_settings(f"sqlite+aiosqlite:///{tmp_path / 'both.db'}", world.fake, cache_dir, token=T1_TOKEN)
    )
    teams = TeamsClient(RunningLeadbot(bot.url, bot.app, bot.services), connector)
    yield world.manager(workspace), teams, connector, bot
    await teams.close()
    await world.stop()
    await connector.stop()


def turns(bot, platform: str, event: str) -> float:
    return bot.metrics.registry.get_sample_value("leadbot_turns_total", {"platform": platform, "event": event}) or 0.0


async def test_the_same_words_in_slack_and_teams_get_the_same_answer_and_are_counted_alike(both):
    alice, teams, _connector, bot = both
    slack_reply = await alice.dm(PROBLEM)
    (teams_reply,) = await teams.say(PAT, PROBLEM)

    assert slack_reply.header() and slack_reply.header() == teams_reply.texts[0], "the same title"
    slack_choices = [b["text"]["text"] for b in slack_reply.buttons()]
    teams_choices = [a["title"] for a in teams_reply.actions]
    assert slack_choices and slack_choices == teams_choices, "the same choices, in the same order"
    event = "diagnosis" if turns(bot, "slack", "diagnosis") else "quiz"
    assert turns(bot, "slack", event) == turns(bot, "teams", event) == 1, "one turn each, counted under its platform"


async def test_a_nudge_command_is_a_nudge_command_on_both_platforms(both):
    alice, teams, connector, bot = both
    slack_answer = (await alice.command("nudge on tuesday", channel="C0BOTH"))[-1]
    (teams_answer,) = await teams.send(
        channel_mention(connector.service_url, PAT, TeamsChannel(TENANT), "nudge on tuesday")
    )
    assert "Weekly nudges are on for this channel: every Tuesday at 09:00" in slack_answer.all_text()
    assert "Weekly nudges are on for this channel: every Tuesday at 09:00" in " ".join(teams_answer.texts)
    assert turns(bot, "slack", "nudge") == turns(bot, "teams", "nudge") == 1
    assert turns(bot, "slack", "diagnosis") == turns(bot, "teams", "diagnosis") == 0, "not taken for a team problem"
    subscriptions = await bot.services.nudge_store.subscriptions()
    assert sorted(s.platform for s in subscriptions) == ["slack", "teams"]
