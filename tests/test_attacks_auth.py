"""Requests that are not from Slack or Teams: refused, nothing processed, nothing posted, no row written.

Extends tests/test_slack_bad_input.py (a DM event with a bad signature, a stale
timestamp, no signature) and tests/test_teams_auth.py (personal messages with no
token or a forged one) to every surface: slash commands, button presses, mentions,
card submits, channel mentions and installs, with the whole database checked empty.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.storage.tables import metadata
from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import SECRET, alice, leadbot, workspace, world  # noqa: F401
from tests.fakes.teams_client import (
    TeamsChannel,
    TeamsClient,
    channel_mention,
    installation_update,
    personal_message,
    running_leadbot,
    submit,
)
from tests.test_teams_auth import CHRIS, SINGLE_TENANT, TENANT, identity, settings_for  # noqa: F401


async def rows_everywhere(db) -> dict[str, int]:
    """How many rows each table holds (the Alembic bookkeeping table aside)."""
    counts = {}
    async with db.connect() as conn:
        for table in metadata.sorted_tables:
            counts[table.name] = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    return counts


# --- Slack ----------------------------------------------------------------------------------------


def slack_requests(alice, world) -> dict[str, tuple[str, str]]:
    """One of each kind of request Slack makes, as (body, content type)."""
    dm = rq.event_envelope(
        alice.team,
        rq.dm_event(alice.team, alice.user, alice.dm_channel, "my team keeps missing deadlines"),
        alice.workspace.bot_user_id,
    )
    mention = rq.event_envelope(
        alice.team,
        rq.mention_event(alice.team, alice.user, "C0LEADS", "help", alice.workspace.bot_user_id),
        alice.workspace.bot_user_id,
    )
    slash = rq.slash_form(alice.team, alice.user, "C0LEADS", "forget me", world.fake.response_url("replayed"))
    button = {"action_id": "leadbot_choice:0", "value": "tok|why", "text": {"type": "plain_text", "text": "Why?"}}
    press = rq.block_actions(
        alice.team,
        alice.user,
        alice.dm_channel,
        button,
        world.fake.response_url("replayed"),
        message={"type": "message", "ts": "1.5", "blocks": []},
    )
    home = rq.home_block_actions(alice.team, alice.user, {"action_id": "leadbot_quotes", "value": "off"})
    return {
        "dm": (json.dumps(dm), "application/json"),
        "mention": (json.dumps(mention), "application/json"),
        "slash": (urlencode(slash), "application/x-www-form-urlencoded"),
        "press": (urlencode({"payload": json.dumps(press)}), "application/x-www-form-urlencoded"),
        "home-setting": (urlencode({"payload": json.dumps(home)}), "application/x-www-form-urlencoded"),
    }


def tampered(body: str) -> str:
    return (
        body.replace("deadlines", "deadlinez")
        .replace("help", "hElp")
        .replace("forget", "forgot")
        .replace("why", "who")
        .replace("off", "on")
    )


FORGERIES = {
    "replayed-6-minutes-later": lambda body, ts: rq.signed_headers(SECRET, body, "", ts - 6 * 60),
    "dated-6-minutes-ahead": lambda body, ts: rq.signed_headers(SECRET, body, "", ts + 6 * 60),
    "another-secret": lambda body, ts: rq.signed_headers("a-guessed-signing-secret", body, "", ts),
    "signature-of-another-body": lambda body, ts: rq.signed_headers(SECRET, tampered(body), "", ts),
    "timestamp-changed-after-signing": lambda body, ts: {
        **rq.signed_headers(SECRET, body, "", ts - 400),
        "X-Slack-Request-Timestamp": str(ts),
    },
    "v1-scheme": lambda body, ts: {
        **rq.signed_headers(SECRET, body, "", ts),
        "X-Slack-Signature": rq.signed_headers(SECRET, body, "", ts)["X-Slack-Signature"].replace("v0=", "v1="),
    },
    "empty-signature": lambda body, ts: {**rq.signed_headers(SECRET, body, "", ts), "X-Slack-Signature": ""},
    "no-signature": lambda body, ts: {"X-Slack-Request-Timestamp": str(ts)},
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_slack_requests_not_signed_by_slack_just_now_are_refused_on_every_surface(alice, world, leadbot, forgery):
    before = await rows_everywhere(leadbot.services.db)
    for kind, (body, content_type) in slack_requests(alice, world).items():
        headers = FORGERIES[forgery](body, int(time.time()))
        headers["Content-Type"] = content_type
        async with world.session.post(alice.slack.url, data=body.encode(), headers=headers) as resp:
            assert resp.status == 401, (kind, resp.status)
    await alice.settle()
    assert [c.method for c in world.fake.calls if c.method != "auth.test"] == [], "nothing posted, no response_url used"
    assert await rows_everywhere(leadbot.services.db) == before, "no row written"
    assert sum(s.value for m in leadbot.metrics.turns.collect() for s in m.samples if s.name.endswith("_total")) == 0, (
        "no turn ran"
    )


async def test_a_captured_request_replayed_later_is_refused_although_it_worked_the_first_time(alice, world, leadbot):
    body, content_type = slack_requests(alice, world)["dm"]
    signed_at = int(time.time()) - 4 * 60  # inside the five minutes: accepted
    headers = rq.signed_headers(SECRET, body, content_type, signed_at)
    async with world.session.post(alice.slack.url, data=body.encode(), headers=headers) as resp:
        assert resp.status == 200
    await alice.settle()
    answered = len(alice.posts())
    assert answered == 1
    rows = await rows_everywhere(leadbot.services.db)
    # The same bytes and headers again, as an attacker who captured them would send them (a fresh event id
    # would not help them: the signature covers the body). Within the window the receipt makes it a no-op...
    async with world.session.post(alice.slack.url, data=body.encode(), headers=headers) as resp:
        assert resp.status == 200
    await alice.settle()
    assert len(alice.posts()) == answered and await rows_everywhere(leadbot.services.db) == rows
    # ... and once the five minutes have passed, Bolt refuses it outright.
    stale = rq.signed_headers(SECRET, body, content_type, int(time.time()) - 5 * 60 - 30)
    async with world.session.post(alice.slack.url, data=body.encode(), headers=stale) as resp:
        assert resp.status == 401
    await alice.settle()
    assert len(alice.posts()) == answered and await rows_everywhere(leadbot.services.db) == rows


# --- Teams with MICROSOFT_APP_ID set ------------------------------------------------------------------


def teams_requests(service_url: str) -> dict[str, dict]:
    channel = TeamsChannel(TENANT)

    class Card:  # the card a forged submit claims to answer
        conversation_id, id = CHRIS.personal_conversation, "1700000000001"

    return {
        "personal": personal_message(service_url, CHRIS, "forget me"),
        "submit": submit(service_url, CHRIS, Card(), {"leadbot": "choice", "value": "why", "token": "t0k3n"}),
        "private": submit(service_url, CHRIS, Card(), {"leadbot": "private"}),
        "channel-mention": channel_mention(service_url, CHRIS, channel, "nudge on"),
        "installed-in-a-team": installation_update(service_url, CHRIS, "add", channel),
        "installed-personally": installation_update(service_url, CHRIS, "add"),
    }


@pytest.fixture
async def secured(tmp_path, cache_dir, connector, identity):
    connector.check_token = identity.check_bot_token
    async with running_leadbot(settings_for(tmp_path, cache_dir, **SINGLE_TENANT), identity=identity) as bot:
        teams = TeamsClient(bot, connector, identity)
        yield teams
        await teams.close()


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda ident, url: "", id="no-token"),
        pytest.param(lambda ident, url: "Bearer ", id="empty-bearer"),
        pytest.param(lambda ident, url: "Bearer not.a.token", id="not-a-jwt"),
        pytest.param(lambda ident, url: ident.channel_token(url, audience="another-bot"), id="for-another-bot"),
        pytest.param(lambda ident, url: ident.channel_token(url, expires_in=-3600), id="expired"),
        pytest.param(
            lambda ident, url: ident.channel_token("http://127.0.0.1:9/elsewhere"), id="for-another-service-url"
        ),
        pytest.param(
            lambda ident, url: "Bearer " + ident.channel_token(url)[7:].rsplit(".", 1)[0] + ".", id="signature-stripped"
        ),
    ],
)
async def test_teams_requests_without_a_valid_token_are_refused_on_every_surface(
    secured, connector, identity, authorization
):
    teams = secured
    before = await rows_everywhere(teams.bot.services.db)  # start-up's own audit entries (settings, content) aside
    for kind, activity in teams_requests(connector.service_url).items():
        header = authorization(identity, connector.service_url)
        headers = {"Content-Type": "application/json", **({"Authorization": header} if header else {})}
        async with teams.http.post(f"{teams.bot.url}/api/messages", data=json.dumps(activity), headers=headers) as resp:
            assert resp.status == 401, (kind, resp.status)
    await teams.bot.settle()
    assert connector.attempts == [], "nothing sent"
    assert await rows_everywhere(teams.bot.services.db) == before, "no row written: no state, no reference, no install"
    assert all(n == 0 for name, n in before.items() if name != "audit_events"), before


async def test_a_token_for_one_request_cannot_carry_another_service_url(secured, connector, identity):
    """The token names the service URL it was issued for; a forged Activity that points the bot elsewhere is refused."""
    teams = secured
    before = await rows_everywhere(teams.bot.services.db)
    activity = personal_message("http://127.0.0.1:9/attacker/", CHRIS, "help")
    status, _ = await teams.post(activity, authorization=identity.channel_token(connector.service_url))
    assert status == 401
    await teams.bot.settle()
    assert connector.attempts == [] and await rows_everywhere(teams.bot.services.db) == before
