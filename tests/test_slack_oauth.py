"""Many workspaces through Bolt's OAuth flow, with installations in leadbot's own database.

Two workspaces install leadbot through /slack/install and /slack/oauth_redirect;
the same user and channel ids in both never share a conversation, and each
workspace is answered with its own bot token.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from bot.slack.manifest import bot_scopes
from bot.storage.tables import slack_bots, slack_installations
from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import SlackWorld, slack_settings
from tests.test_slack_conversation import VAGUE, labels


@pytest.fixture
async def oauth_world(tmp_path, cache_dir):
    world = await SlackWorld().start()
    world.fake.add_workspace("T0AAA", "xoxb-aaa", bot_user_id="U0BOTA", bot_id="B0AAA", code="code-aaa")
    world.fake.add_workspace("T0BBB", "xoxb-bbb", bot_user_id="U0BOTB", bot_id="B0BBB", code="code-bbb")
    await world.add_leadbot(
        slack_settings(f"sqlite+aiosqlite:///{tmp_path / 'oauth.db'}", world.fake, cache_dir, oauth=True)
    )
    yield world
    await world.stop()


async def install(world: SlackWorld, code: str) -> str:
    """What an admin's browser does: open the install page, go to Slack, come back with a code."""
    base = world.bots[0].url
    async with world.session.get(f"{base}/slack/install") as resp:
        assert resp.status == 200
        page = await resp.text()
        cookie = resp.cookies["slack-app-oauth-state"].value
    authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page).group(1).replace("&amp;", "&")
    query = parse_qs(urlparse(authorize).query)
    assert query["client_id"] == ["1111.2222"]
    assert query["scope"] == [",".join(bot_scopes())], "exactly the manifest's scopes"
    state = query["state"][0]
    assert state == cookie
    async with world.session.get(
        f"{base}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": f"slack-app-oauth-state={cookie}"},
    ) as resp:
        assert resp.status == 200
        return await resp.text()


async def installed_teams(world) -> list[str]:
    async with world.bots[0].services.db.connect() as conn:
        return sorted(r[0] for r in await conn.execute(select(slack_installations.c.team_id)))


async def test_install_to_two_workspaces_and_their_conversations_never_mix(oauth_world, content):
    world = oauth_world
    await install(world, "code-aaa")
    await install(world, "code-bbb")
    assert await installed_teams(world) == ["T0AAA", "T0BBB"]

    ws_a = world.fake.workspaces["xoxb-aaa"]
    ws_b = world.fake.workspaces["xoxb-bbb"]
    # the same user id and DM id in both workspaces
    alice_a = world.manager(ws_a, user="U0SAME", dm_channel="D0SAME")
    alice_b = world.manager(ws_b, user="U0SAME", dm_channel="D0SAME")

    q1 = await alice_a.dm(VAGUE)
    if content.messages.choice_labels["why"] in labels(q1):
        [q1] = await alice_a.press(q1, content.messages.choice_labels["not_quite"])
    assert q1.token == "xoxb-aaa"
    stored = await alice_b.dm("what do you store?")
    assert stored.token == "xoxb-bbb" and stored.header() == content.messages.privacy_intro

    # B presses the button A was shown: in B's workspace it belongs to no conversation
    [stale] = await alice_b.press(q1, labels(q1)[0])
    assert stale.token == "xoxb-bbb"
    assert content.messages.stale_choice in stale.all_text()
    assert not stale.buttons(), "B has no live choices to offer"

    # A's conversation is untouched and carries on
    [q2] = await alice_a.press(q1, labels(q1)[0])
    assert q2.token == "xoxb-aaa"
    assert content.messages.stale_choice not in q2.all_text()

    # forget me in B deletes B's rows only, and never the workspace's installation
    done = await alice_b.dm("forget me")
    assert "deleted everything" in done.all_text()
    assert await installed_teams(world) == ["T0AAA", "T0BBB"]
    [q3] = await alice_a.press(q2, labels(q2)[0])
    assert content.messages.stale_choice not in q3.all_text()


async def test_an_install_with_a_forged_state_is_refused(oauth_world):
    world = oauth_world
    async with world.session.get(
        f"{world.bots[0].url}/slack/oauth_redirect", params={"code": "code-aaa", "state": "forged"}
    ) as resp:
        assert resp.status == 400
    assert await installed_teams(world) == []


async def test_uninstalling_removes_the_workspace_tokens(oauth_world):
    world = oauth_world
    await install(world, "code-aaa")
    await install(world, "code-bbb")
    ws_b = world.fake.workspaces["xoxb-bbb"]
    sender = world.sender()
    resp = await sender.event(
        rq.event_envelope("T0BBB", {"type": "app_uninstalled", "event_ts": "1.1"}, ws_b.bot_user_id)
    )
    assert resp.status == 200
    await world.bots[0].settle()
    assert await installed_teams(world) == ["T0AAA"]
    async with world.bots[0].services.db.connect() as conn:
        bots = (await conn.execute(select(slack_bots.c.team_id))).scalars().all()
    assert bots == ["T0AAA"], "B's bot token is gone too"


async def test_messenger_uses_each_workspace_token(oauth_world):
    from bot.delivery import Target
    from bot.metrics import Metrics
    from bot.slack.messenger import build_messenger
    from dialogs.models import Reply

    world = oauth_world
    await install(world, "code-aaa")
    await install(world, "code-bbb")
    bot = world.bots[0]
    messenger = build_messenger(bot.services.settings, bot.services.db, Metrics())
    for team in ("T0AAA", "T0BBB"):
        d = await messenger.post(
            Target(platform="slack", workspace_id=team, channel_id="C0TEAM"), Reply(kind="info", lines=["Weekly nudge"])
        )
        assert d.outcome == "sent"
    tokens = [c.token for c in world.fake.of("chat.postMessage", channel="C0TEAM")]
    assert tokens == ["xoxb-aaa", "xoxb-bbb"]
    gone = await messenger.post(
        Target(platform="slack", workspace_id="T0NEVER", channel_id="C0TEAM"), Reply(kind="info", lines=["x"])
    )
    assert gone.outcome == "gone" and gone.detail == "not_installed"
