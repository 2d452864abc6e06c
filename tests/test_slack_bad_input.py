"""Requests leadbot must refuse or quietly ignore: a 4xx or a 200 with nothing done, never a 500."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import SECRET, alice, leadbot, workspace, world  # noqa: F401
from tests.test_slack_conversation import VAGUE


def nothing_happened(alice, world) -> None:
    assert world.fake.calls == [] or all(c.method == "auth.test" for c in world.fake.calls), "nothing posted"
    assert alice.bots[0].runtime.inflight.count == 0
    assert (
        sum(s.value for m in alice.bots[0].metrics.turns.collect() for s in m.samples if s.name.endswith("_total")) == 0
    )


def dm_envelope(alice, text="help", **extra):
    return rq.event_envelope(
        alice.team, rq.dm_event(alice.team, alice.user, alice.dm_channel, text, **extra), alice.workspace.bot_user_id
    )


async def test_a_bad_signature_is_refused_and_nothing_is_processed(alice, world):
    body = json.dumps(dm_envelope(alice))
    headers = rq.signed_headers("not-the-signing-secret", body, "application/json")
    async with world.session.post(alice.slack.url, data=body, headers=headers) as resp:
        assert resp.status == 401
    await alice.settle()
    nothing_happened(alice, world)


async def test_a_stale_timestamp_is_refused_even_when_signed(alice, world):
    resp = await alice.slack.event(dm_envelope(alice), timestamp=int(time.time()) - 6 * 60)  # a replayed request
    assert resp.status == 401
    await alice.settle()
    nothing_happened(alice, world)


async def test_an_unsigned_request_is_refused(alice, world):
    async with world.session.post(alice.slack.url, json=dm_envelope(alice)) as resp:
        assert resp.status == 401
    nothing_happened(alice, world)


async def test_url_verification_is_answered_with_the_challenge(alice, world):
    body = {
        "token": "legacy",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    resp = await alice.slack.post_raw(json.dumps(body), "application/json")
    assert resp.status == 200
    async with world.session.post(
        alice.slack.url, data=json.dumps(body), headers=rq.signed_headers(SECRET, json.dumps(body), "application/json")
    ) as r:
        assert (await r.json()) == {"challenge": body["challenge"]}
    nothing_happened(alice, world)


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"type": "event_callback", "event": {', "application/json"),  # cut off mid-way
        ("[1, 2, 3]", "application/json"),
        ('{"type": "event_callback", "event": "message"}', "application/json"),
        ('{"type": "event_callback", "team_id": "T0ONE", "event_id": "Ev0NOEVENT"}', "application/json"),
        ('{"type": "block_actions", "actions": "press"}', "application/json"),
        (urlencode({"payload": "{not json"}), "application/x-www-form-urlencoded"),
        (urlencode({"payload": json.dumps(["a list"])}), "application/x-www-form-urlencoded"),
    ],
    ids=[
        "truncated-json",
        "json-array",
        "event-not-an-object",
        "event-callback-without-event",
        "actions-not-a-list",
        "payload-not-json",
        "payload-a-list",
    ],
)
async def test_malformed_bodies_get_400(alice, world, body, content_type):
    resp = await alice.slack.post_raw(body, content_type)
    assert resp.status == 400
    nothing_happened(alice, world)


async def test_bytes_that_are_not_utf8_get_400(alice, world):
    body = b'{"type": "event_callback", "x": "\xff\xfe"}'
    headers = rq.signed_headers(SECRET, body.decode("latin-1"), "application/json")
    async with world.session.post(alice.slack.url, data=body, headers=headers) as resp:
        assert resp.status == 400, resp.status
    nothing_happened(alice, world)


async def test_unknown_event_types_are_acknowledged_and_ignored(alice, world):
    event = {
        "type": "reaction_added",
        "user": alice.user,
        "reaction": "thumbsup",
        "item": {"type": "message", "channel": "C1", "ts": "1.2"},
        "event_ts": "1.3",
    }
    resp = await alice.slack.event(rq.event_envelope(alice.team, event, alice.workspace.bot_user_id))
    assert resp.status == 200
    await alice.settle()
    assert world.fake.of("chat.postMessage") == []


async def test_unknown_interaction_types_are_acknowledged_and_ignored(alice, world):
    payload = {
        "type": "shortcut",
        "callback_id": "something_else",
        "team": {"id": alice.team},
        "user": {"id": alice.user},
        "trigger_id": "1.2.3",
    }
    resp = await alice.slack.interaction(payload)
    assert resp.status == 200
    await alice.settle()
    assert world.fake.of("chat.postMessage") == []


@pytest.mark.parametrize(
    "extra",
    [
        {
            "subtype": "message_changed",
            "message": {"type": "message", "text": "edited", "user": "U0ALICE", "ts": "1.1"},
            "previous_message": {},
        },
        {"subtype": "message_deleted", "deleted_ts": "1.1", "previous_message": {}},
        {"subtype": "channel_join"},
        {"bot_id": "B0OTHER", "bot_profile": {"id": "B0OTHER", "name": "another bot"}},
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
    ],
    ids=["edited", "deleted", "join", "other-bot", "bot_message"],
)
async def test_messages_that_are_not_a_person_writing_are_never_answered(alice, world, extra):
    resp = await alice.slack.event(dm_envelope(alice, VAGUE, **extra))
    assert resp.status == 200
    await alice.settle()
    assert world.fake.of("chat.postMessage") == []


@pytest.mark.parametrize("with_bot_id", [True, False])
async def test_our_own_messages_are_never_answered(alice, world, with_bot_id):
    own = dm_envelope(alice, "help", **({"bot_id": alice.workspace.bot_id} if with_bot_id else {}))
    own["event"]["user"] = alice.workspace.bot_user_id
    resp = await alice.slack.event(own)
    assert resp.status == 200
    await alice.settle()
    assert world.fake.of("chat.postMessage") == [], "no loops"


@pytest.mark.parametrize(
    "button",
    [
        {
            "action_id": "leadbot_choice:0",
            "value": "not a value we ever sent",
            "text": {"type": "plain_text", "text": "?"},
        },
        {
            "action_id": "leadbot_choice:7",
            "value": json.dumps({"t": 5, "v": ["x"]}),
            "text": {"type": "plain_text", "text": "?"},
        },
        {"action_id": "somebody_elses_button", "value": "x", "text": {"type": "plain_text", "text": "?"}},
    ],
    ids=["garbled-value", "wrong-types", "unknown-action"],
)
async def test_a_press_we_never_sent_gets_a_polite_ephemeral(alice, world, content, button):
    await alice.dm(VAGUE)  # a conversation with live choices
    payload = rq.block_actions(
        alice.team,
        alice.user,
        alice.dm_channel,
        button,
        world.fake.response_url("odd"),
        message={"type": "message", "ts": "1.5", "blocks": []},
    )
    resp = await alice.slack.interaction(payload)
    assert resp.status == 200
    await alice.settle()
    [answer] = world.fake.of("respond", _name="odd")
    assert answer.args["response_type"] == "ephemeral"
    assert content.messages.stale_choice in answer.all_text()
    assert answer.buttons(), "with the choices that are live"
    assert len(alice.posts()) == 1, "nothing new in the channel"


async def test_a_body_over_one_mebibyte_is_refused(alice, world):
    body = json.dumps(dm_envelope(alice, "x" * (1024 * 1024)))
    resp = await alice.slack.post_raw(body, "application/json")
    assert resp.status == 413
    nothing_happened(alice, world)
