"""Ephemeral answers (slash commands, button presses) go to the response_url and are retried like Web API calls.

Over real HTTP against the fake response_url: a 429 waits for its Retry-After,
a 500 or 503 and a dropped connection are tried again, and the person sees the
answer exactly once.
"""

from __future__ import annotations

import pytest

from bot.slack.client import RETRIES
from tests.fakes.slack_harness import alice, leadbot, workspace, world  # noqa: F401


def _attempts(world, name: str) -> list:
    return [c for c in world.fake.attempts if c.method == "respond" and c.args.get("_name") == name]


async def test_a_429_on_the_response_url_waits_for_retry_after_and_answers_once(alice, world):
    world.fake.fail_next("respond", status=429, headers={"Retry-After": "1"})
    answers = await alice.command("help", name="throttled")
    assert len(answers) == 1, "answered once"
    tries = _attempts(world, "throttled")
    assert len(tries) == 2
    assert tries[1].at - tries[0].at >= 1.0, "Retry-After was honoured"
    assert alice.bots[0].metrics.retries.labels("slack")._value.get() == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_on_the_response_url_is_retried(alice, world, status):
    world.fake.fail_next("respond", status=status, error="internal_error")
    answers = await alice.command("help", name=f"err{status}")
    assert len(answers) == 1
    assert len(_attempts(world, f"err{status}")) == 2


async def test_dropped_connections_to_the_response_url_are_retried_as_often_as_web_api_calls(alice, world):
    world.fake.drop_next("respond", times=RETRIES)
    answers = await alice.command("help", name="dropped")
    assert len(answers) == 1
    assert len(_attempts(world, "dropped")) == RETRIES + 1


async def test_a_button_press_answered_ephemerally_is_retried_too(alice, world):
    """A press on a button leadbot never rendered is answered only to the presser, through response_url."""
    from tests.fakes import slack_requests as rq

    world.fake.fail_next("respond", status=503, error="service_unavailable")
    payload = rq.block_actions(
        alice.team,
        alice.user,
        alice.dm_channel,
        {"action_id": "something_unknown", "type": "button", "value": "x", "text": {"type": "plain_text", "text": "?"}},
        world.fake.response_url("press"),
    )
    resp = await alice.slack.interaction(payload)
    assert resp.status == 200
    await alice.settle()
    assert len(alice.responses("press")) == 1
    assert len(_attempts(world, "press")) == 2
