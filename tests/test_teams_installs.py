"""Install events and proactive messages, once on SQLite and once on the real PostgreSQL server.

Teams announces a personal install twice (conversationUpdate and
installationUpdate) and may redeliver either: one welcome. A team install
stores the conversation reference, so a proactive message (a weekly nudge)
reaches the channel later; removal deletes it.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.delivery import Target
from bot.settings import Settings
from bot.storage.tables import metadata, teams_conversations
from dialogs.models import Choice, Reply
from tests.fakes.teams_client import (
    TeamsChannel,
    TeamsClient,
    TeamsUser,
    channel_mention,
    installation_update,
    members_changed,
    running_leadbot,
)

TENANT = "2d6f3a5b-0000-4000-8000-000000000001"
ALEX = TeamsUser(TENANT, "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d", name="Alex Jones")
CHANNEL = TeamsChannel(TENANT)
NUDGE = Reply(
    kind="info",
    title="This week's nudge",
    lines=["Management keeps the trains running; leadership decides where they go."],
    choices=[Choice(label="Agree", value="poll:agree")],
    choice_token="n1",
)


@pytest.fixture
async def teams(database_url, cache_dir, connector):
    settings = Settings(_env_file=None, DATABASE_URL=database_url, LEADBOT_CACHE_DIR=str(cache_dir))
    async with running_leadbot(settings) as bot:
        client = TeamsClient(bot, connector)
        yield client
        await client.close()
        await bot.settle()
        async with bot.services.db.begin() as conn:  # PostgreSQL is shared by the session
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())


async def _stored(teams: TeamsClient) -> list[tuple[str, str, bool]]:
    t = teams_conversations.c
    async with teams.bot.services.db.begin() as conn:
        rows = (
            await conn.execute(select(t.scope, t.conversation_id, t.reference.is_not(None)).order_by(t.conversation_id))
        ).all()
    return [tuple(r) for r in rows]


async def test_personal_install_welcomes_once(teams, connector):
    url = connector.service_url
    # One install, announced both ways, one of them redelivered, some of them at the same time.
    added = members_changed(url, ALEX, added=True)
    install = installation_update(url, ALEX, "add")
    results = await asyncio.gather(*(teams.post(a) for a in (added, install, install, added)))
    assert [status for status, _ in results] == [202] * 4
    await teams.wait_messages(ALEX.personal_conversation, 1)
    await teams.bot.settle()
    (welcome,) = connector.messages(ALEX.personal_conversation)
    assert welcome.texts[0].startswith("Hello, I'm leadbot.")
    assert welcome.body["summary"].startswith("Hello, I'm leadbot.")

    # Reinstall spam: remove, add, remove, add.
    for action in ("remove", "add", "remove", "add"):
        assert (await teams.post(installation_update(url, ALEX, action)))[0] == 202
        await teams.bot.settle()
    assert len(connector.messages(ALEX.personal_conversation)) == 1, "no second welcome"


async def test_team_install_stores_the_reference_and_a_nudge_reaches_the_channel(teams, connector):
    url = connector.service_url
    await teams.post(installation_update(url, ALEX, "add", channel=CHANNEL))
    await teams.post(members_changed(url, ALEX, added=True, channel=CHANNEL))
    await teams.bot.settle()
    assert connector.sent == [], "installing in a team posts nothing by itself"
    assert await _stored(teams) == [("channel", CHANNEL.channel_id, True)]

    messenger = teams.bot.runtime.messenger
    target = Target(platform="teams", workspace_id=TENANT, channel_id=CHANNEL.channel_id)
    delivery = await messenger.post(target, NUDGE)
    assert delivery.outcome == "sent" and delivery.ref
    (posted,) = connector.messages(CHANNEL.channel_id)
    assert posted.kind == "send", "a new post in the channel, not a reply"
    assert posted.id == delivery.ref
    assert posted.texts[0] == "This week's nudge" and posted.actions[0]["title"] == "Agree"

    updated = await messenger.update(
        target, delivery.ref, NUDGE.model_copy(update={"lines": ["Votes so far: 3 agree."], "choices": []})
    )
    assert updated.outcome == "sent" and updated.ref == delivery.ref
    (change,) = [s for s in connector.sent if s.kind == "update"]
    assert change.activity_id == delivery.ref and "Votes so far: 3 agree." in change.texts

    # The same channel id in another tenant is somewhere else entirely.
    elsewhere = await messenger.post(
        Target(platform="teams", workspace_id="another-tenant", channel_id=CHANNEL.channel_id), NUDGE
    )
    assert elsewhere.outcome == "gone"


@pytest.mark.parametrize("how", ["installationUpdate", "membersRemoved"])
async def test_removal_deletes_the_reference(teams, connector, how):
    url = connector.service_url
    await teams.post(installation_update(url, ALEX, "add", channel=CHANNEL))
    await teams.bot.settle()
    removal = (
        installation_update(url, ALEX, "remove", channel=CHANNEL)
        if how == "installationUpdate"
        else members_changed(url, ALEX, added=False, channel=CHANNEL)
    )
    assert (await teams.post(removal))[0] == 202
    await teams.bot.settle()
    assert await _stored(teams) == []

    delivery = await teams.bot.runtime.messenger.post(
        Target(platform="teams", workspace_id=TENANT, channel_id=CHANNEL.channel_id), NUDGE
    )
    assert delivery.outcome == "gone" and delivery.detail == "no_conversation_reference"
    assert connector.attempts == [], "nothing was sent"


async def test_personal_removal_forgets_how_to_reach_the_person(teams, connector):
    url = connector.service_url
    await teams.post(installation_update(url, ALEX, "add"))
    await teams.wait_messages(ALEX.personal_conversation, 1)
    await teams.post(installation_update(url, ALEX, "remove"))
    await teams.bot.settle()
    assert await _stored(teams) == [("personal", ALEX.personal_conversation, False)], "only the welcome marker is left"
    delivery = await teams.bot.runtime.messenger.post(
        Target(platform="teams", workspace_id=TENANT, channel_id=ALEX.personal_conversation), NUDGE
    )
    assert delivery.outcome == "gone"


async def test_someone_else_joining_a_team_is_not_an_install(teams, connector):
    someone = {"id": "29:1someoneelse", "aadObjectId": "5e5e5e5e-0000-4000-8000-000000000005"}
    await teams.post(members_changed(connector.service_url, ALEX, added=True, channel=CHANNEL, members=[someone]))
    await teams.bot.settle()
    assert await _stored(teams) == [] and connector.sent == []


def _team_event(url: str, event: str, channel: TeamsChannel) -> dict:
    activity = members_changed(url, ALEX, added=True, channel=TeamsChannel(TENANT))
    activity.pop("membersAdded")
    activity["channelData"] = channel.channel_data() | {"eventType": event}
    return activity


async def test_a_deleted_channel_or_team_is_forgotten(teams, connector):
    url = connector.service_url
    projects = TeamsChannel(TENANT, channel_id="19:projects0000000000000000@thread.tacv2")
    await teams.post(installation_update(url, ALEX, "add", channel=CHANNEL))
    await teams.send(channel_mention(url, ALEX, projects, "help"))  # the bot is used in a second channel
    await teams.bot.settle()
    assert [(scope, cid) for scope, cid, _ in await _stored(teams)] == [
        ("channel", CHANNEL.channel_id),
        ("channel", projects.channel_id),
    ]

    assert (await teams.post(_team_event(url, "channelDeleted", projects)))[0] == 202
    await teams.bot.settle()
    assert [cid for _, cid, _ in await _stored(teams)] == [CHANNEL.channel_id], "only that channel went"

    assert (await teams.post(_team_event(url, "teamDeleted", CHANNEL)))[0] == 202
    await teams.bot.settle()
    assert await _stored(teams) == []
