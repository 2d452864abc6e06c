"""Two Slack workspaces and two Teams tenants using the SAME user and channel ids never share anything.

tests/test_slack_oauth.py and tests/test_teams_conversation.py already show that
conversations, stale presses and "forget me" stay in their workspace or tenant.
This adds what they do not cover: a manager's settings, Teams conversation
references, and the weekly nudge subscriptions, votes and attributions (on
SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.storage.nudge_store import SqlNudgeStore
from bot.storage.tables import conversation_state, teams_conversations, user_settings
from dialogs.models import ChoicePress, ConversationKey, Inbound
from tests.fakes import slack_requests as rq
from tests.fakes.teams_client import (
    TeamsChannel,
    TeamsClient,
    TeamsUser,
    channel_mention,
    installation_update,
    personal_message,
    running_leadbot,
)
from tests.nudge_support import Nudges, utc
from tests.test_slack_conversation import home_text, labels, reach_diagnosis, turn_quotations_off
from tests.test_slack_oauth import install, oauth_world  # noqa: F401
from tests.test_teams_conversation import settings_for

NOW = utc(2025, 4, 2, 15, 0)


# --- Slack: settings follow the workspace ------------------------------------------------------------


async def _home(manager, world) -> str:
    await manager.slack.event(
        rq.event_envelope(manager.team, rq.home_opened_event(manager.user), manager.workspace.bot_user_id)
    )
    await manager.settle()
    mine = [c for c in world.fake.of("views.publish") if c.team_id == manager.team]
    return home_text(mine[-1])


async def test_slack_settings_and_forget_me_stay_in_their_workspace(oauth_world, content):
    world = oauth_world
    await install(world, "code-aaa")
    await install(world, "code-bbb")
    a = world.manager(world.fake.workspaces["xoxb-aaa"], user="U0SAME", dm_channel="D0SAME")
    b = world.manager(world.fake.workspaces["xoxb-bbb"], user="U0SAME", dm_channel="D0SAME")

    await turn_quotations_off(a, world)
    assert "*Off*" in await _home(a, world)
    assert "*On*" in await _home(b, world), "A's choice is not B's"

    with_quote, _ = await reach_diagnosis(b, content)
    assert "context" in [blk["type"] for blk in with_quote.blocks], "B still sees the quotation"
    without, _ = await reach_diagnosis(a, content)
    assert "context" not in [blk["type"] for blk in without.blocks]

    # B forgets; A's setting and A's live conversation are untouched.
    done = await b.dm("forget me")
    assert "deleted everything" in done.all_text()
    assert "*Off*" in await _home(a, world)
    [carried_on] = await a.press(without, labels(without)[0])
    assert content.messages.stale_choice not in carried_on.all_text(), "A's buttons still work"
    async with world.bots[0].services.db.connect() as conn:
        for table in (conversation_state, user_settings):
            left = {
                r.workspace_id
                for r in await conn.execute(select(table.c.workspace_id).where(table.c.user_id == "U0SAME"))
            }
            assert left == {"T0AAA"}, f"{table.name}: only A's rows remain"


async def test_slack_a_press_from_workspace_b_on_a_slash_answer_from_workspace_a_is_stale(oauth_world, content):
    world = oauth_world
    await install(world, "code-aaa")
    await install(world, "code-bbb")
    a = world.manager(world.fake.workspaces["xoxb-aaa"], user="U0SAME", dm_channel="D0SAME")
    b = world.manager(world.fake.workspaces["xoxb-bbb"], user="U0SAME", dm_channel="D0SAME")
    [answer] = await a.command("my team keeps missing deadlines and nobody owns the backlog", channel="C0SAME")
    button = answer.buttons()[0]
    # B's copy of the same press, in B's workspace, on the same channel id: no conversation to continue there.
    payload = rq.block_actions(b.team, b.user, "C0SAME", button, world.fake.response_url("b-press"), ephemeral=True)
    assert (await b.slack.interaction(payload)).status == 200
    await b.settle()
    [in_b] = world.fake.of("respond", _name="b-press")
    assert content.messages.stale_choice in in_b.all_text() and not in_b.buttons()
    payload = rq.block_actions(a.team, a.user, "C0SAME", button, world.fake.response_url("a-press"), ephemeral=True)
    assert (await a.slack.interaction(payload)).status == 200
    await a.settle()
    [in_a] = world.fake.of("respond", _name="a-press")
    assert content.messages.stale_choice not in in_a.all_text(), "in A the same press carries on"


# --- Teams: references and forget me follow the tenant --------------------------------------------------

TENANT_A = "7c1e3f5a-0000-4000-8000-00000000000a"
TENANT_B = "7c1e3f5a-0000-4000-8000-00000000000b"
SAME = "8d9e0f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a"


@pytest.fixture
async def teams(tmp_path, cache_dir, connector):
    async with running_leadbot(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'tenants.db'}", cache_dir)) as bot:
        client = TeamsClient(bot, connector)
        yield client
        await client.close()


async def _references(teams) -> set[tuple[str, str]]:
    async with teams.bot.services.db.connect() as conn:
        return {(r.workspace_id, r.conversation_id) for r in await conn.execute(select(teams_conversations))}


async def test_teams_references_and_forget_me_stay_in_their_tenant(teams, connector):
    in_a, in_b = TeamsUser(TENANT_A, SAME), TeamsUser(TENANT_B, SAME)
    channel_a, channel_b = TeamsChannel(TENANT_A), TeamsChannel(TENANT_B)  # the same team and channel ids
    for user, channel in ((in_a, channel_a), (in_b, channel_b)):
        for activity in (
            installation_update(connector.service_url, user, "add"),
            installation_update(connector.service_url, user, "add", channel),
        ):
            assert (await teams.post(activity))[0] in (200, 202)
        await teams.bot.settle()
        b_personal = personal_message(
            connector.service_url, user, "my team keeps missing deadlines and nobody owns the backlog"
        )
        b_personal["conversation"]["id"] = in_a.personal_conversation  # same personal chat id in both tenants, too
        await teams.send(b_personal)
    refs = await _references(teams)
    assert {w for w, _ in refs} == {TENANT_A, TENANT_B}
    before_a = {r for r in refs if r[0] == TENANT_A}

    forget = personal_message(connector.service_url, in_b, "forget me")
    forget["conversation"]["id"] = in_a.personal_conversation
    (done,) = await teams.send(forget)
    assert done.texts[0].startswith("Done. I've deleted everything I held about you")
    after = await _references(teams)
    assert {r for r in after if r[0] == TENANT_A} == before_a, "tenant A's references are all still there"
    assert (TENANT_B, in_a.personal_conversation) not in after, "B's personal chat reference went"
    async with teams.bot.services.db.connect() as conn:
        left = {
            r.workspace_id
            for r in await conn.execute(
                select(conversation_state.c.workspace_id).where(conversation_state.c.user_id == SAME)
            )
        }
    assert left == {TENANT_A}

    # A channel mention from tenant B's user does not reach tenant A's channel conversation either.
    (short,) = await teams.send(channel_mention(connector.service_url, in_b, channel_b, "help"))
    assert short.texts[0] == "How leadbot works"


# --- Nudges: subscriptions, votes and names follow the workspace -------------------------------------------


def said(
    platform: str,
    workspace: str,
    text: str,
    user: str = "U_SAME",
    name: str | None = "Alex Smith",
    channel: str = "C_SAME",
) -> Inbound:
    key = ConversationKey(platform=platform, workspace_id=workspace, user_id=user, conversation_id=channel)
    return Inbound(
        key=key, surface="slash" if platform == "slack" else "mention", text=text, user_name=name, in_channel=True
    )


def pressed(platform: str, workspace: str, value: str, user: str) -> Inbound:
    key = ConversationKey(platform=platform, workspace_id=workspace, user_id=user, conversation_id="C_SAME")
    return Inbound(key=key, surface="button", choice=ChoicePress(value=value))


@pytest.fixture
async def nudges(sql_store, content):
    from tests.fakes.http_messenger import HttpMessenger
    from tests.fakes.nudge_api import FakeNudgeApi

    api = FakeNudgeApi()
    await api.start()
    messengers = {p: HttpMessenger(p, api.url) for p in ("slack", "teams")}
    yield Nudges(content, SqlNudgeStore(sql_store.engine), messengers, events=sql_store)
    for m in messengers.values():
        await m.close()
    await api.stop()


@pytest.mark.parametrize("platform", ["slack", "teams"])
async def test_nudge_subscriptions_votes_and_names_stay_in_their_workspace(nudges, sql_store, platform):
    one, two = ("T_ONE", "T_TWO") if platform == "slack" else (TENANT_A, TENANT_B)
    key_one, key_two = (platform, one, "C_SAME"), (platform, two, "C_SAME")
    await nudges.command(said(platform, one, "nudge on"), NOW - timedelta(days=3))
    await nudges.command(said(platform, two, "nudge on friday", name="Alex Jones"), NOW - timedelta(days=3))
    sub_one, sub_two = await nudges.store.subscription(key_one), await nudges.store.subscription(key_two)
    assert (sub_one.schedule.weekday, sub_two.schedule.weekday) == (0, 4), "each workspace keeps its own day"
    assert (sub_one.turned_on_by_name, sub_two.turned_on_by_name) == ("Alex Smith", "Alex Jones")

    report = await nudges.send_due(utc(2025, 3, 31, 8, 0))  # Monday: only workspace one's is due
    assert report.sent == 1
    week = "2025-W14"
    await nudges.vote(pressed(platform, one, f"poll:{week}:meaning", "U_SAME"), NOW)
    refused = await nudges.vote(pressed(platform, two, f"poll:{week}:structure", "U_SAME"), NOW)
    assert "\n".join(r.plain_text() for r in refused), "workspace two is told something"
    assert await nudges.store.counts(key_one, week) == {"meaning": 1}
    assert await nudges.store.counts(key_two, week) == {}, "no nudge was sent there, so no vote counts there"

    # Forget the person in workspace one: their name goes from one's subscription only.
    await sql_store.forget_user(platform, one, "U_SAME")
    assert (await nudges.store.subscription(key_one)).turned_on_by is None
    assert await nudges.store.counts(key_one, week) == {"meaning": 1}, "the totals name nobody, so they stay"
    still = await nudges.store.subscription(key_two)
    assert still.turned_on_by == "U_SAME" and still.turned_on_by_name == "Alex Jones"

    # Turning nudges off in workspace two leaves workspace one's on.
    await nudges.command(said(platform, two, "nudge off"), NOW)
    assert (await nudges.store.subscription(key_one)).active
    assert not (await nudges.store.subscription(key_two)).active
