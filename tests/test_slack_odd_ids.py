"""Signed Slack requests with ids no real workspace sends: a 400 before the ack, never a 500 or a failure after it.

Slack's ids are short and plain (T0123ABC, U0123ABC, Ev0123ABC...). A body that is
validly signed but carries an id with a lone surrogate, a NUL or hundreds of
characters is refused with 400: nothing is acknowledged that could then fail
in the database or the Web API call, and nothing is stored.
"""

from __future__ import annotations

import json

import pytest

from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import SECRET, alice, leadbot, workspace, world  # noqa: F401

ODD = {
    "lone-surrogate": "U0\ud800BAD",
    "nul": "U0\x00BAD",
    "too-long": "U" + "A" * 200,
}


def _signed_post(world, alice, body: str):
    # json.dumps keeps a lone surrogate as the escape \ud800, exactly as a sender could put it on the wire
    return world.session.post(
        alice.slack.url, data=body.encode(), headers=rq.signed_headers(SECRET, body, "application/json")
    )


def _quiet(alice, world) -> None:
    assert world.fake.of("chat.postMessage") == [] and world.fake.of("respond") == []
    assert alice.bots[0].runtime.inflight.count == 0


async def _no_failed_turns(alice) -> None:
    failed = sum(
        s.value
        for m in alice.bots[0].metrics.turns.collect()
        for s in m.samples
        if s.name.endswith("_total") and s.labels.get("event") == "error"
    )
    assert failed == 0


@pytest.mark.parametrize("odd", ODD.values(), ids=ODD.keys())
@pytest.mark.parametrize("field", ["user", "channel", "team_id", "event_id"])
async def test_a_dm_with_an_odd_id_is_refused_before_the_ack(alice, world, odd, field):
    event = rq.dm_event(alice.team, alice.user, alice.dm_channel, "help")
    envelope = rq.event_envelope(alice.team, event, alice.workspace.bot_user_id)
    if field in ("user", "channel"):
        event[field] = odd
    else:
        envelope[field] = odd
    async with _signed_post(world, alice, json.dumps(envelope)) as resp:
        assert resp.status == 400, resp.status
    await alice.settle()
    _quiet(alice, world)
    await _no_failed_turns(alice)


@pytest.mark.parametrize("odd", ODD.values(), ids=ODD.keys())
async def test_a_dm_whose_text_has_odd_characters_is_answered(alice, world, odd):
    """Text is what a person typed: odd characters in it are not a reason to refuse, the turn is answered."""
    event = rq.dm_event(alice.team, alice.user, alice.dm_channel, f"help {odd}")
    envelope = rq.event_envelope(alice.team, event, alice.workspace.bot_user_id)
    async with _signed_post(world, alice, json.dumps(envelope)) as resp:
        assert resp.status == 200
    await alice.settle()
    assert len(alice.posts()) == 1
    await _no_failed_turns(alice)


@pytest.mark.parametrize(
    "odd", [ODD["nul"], ODD["too-long"]], ids=["nul", "too-long"]
)  # a form cannot carry a lone surrogate
async def test_a_slash_command_with_an_odd_id_is_refused_before_the_ack(alice, world, odd):
    form = rq.slash_form(alice.team, odd, "C0LEADS", "nudge on", world.fake.response_url("odd"), user_name="alice")
    resp = await alice.slack.command(form)
    assert resp.status == 400
    await alice.settle()
    _quiet(alice, world)


async def test_an_event_callback_with_a_null_event_is_refused(alice, world):
    body = json.dumps({"type": "event_callback", "team_id": alice.team, "event_id": "Ev0NULL", "event": None})
    async with _signed_post(world, alice, body) as resp:
        assert resp.status == 400
    _quiet(alice, world)
