"""Slack or Teams down, or throttling leadbot, for a while: replies are retried a bounded number of times,
then given up with a log line that carries no message text; the process stays healthy and answers
once the platform is back. `leadbot serve` runs as its own process against the loopback fakes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.slack.client import RETRIES as SLACK_RETRIES
from bot.teams.retry import ATTEMPTS as TEAMS_ATTEMPTS
from tests.fakes.serve_process import ServeProcess, metric, serve_env
from tests.fakes.teams_client import TeamsClient
from tests.fault_support import SAM, alice, processes, slack_fake  # noqa: F401

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

SECRET_WORDS = "Morwenna from payroll keeps rewriting the rota behind my back"


@pytest.fixture
async def served(slack_fake, processes, tmp_path):
    proc = await ServeProcess.start(
        serve_env(f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}", slack_fake), tmp_path / "serve"
    )
    processes.append(proc)
    return proc


def _no_text_in(served: ServeProcess) -> None:
    written = "\n".join(served.lines)
    assert "Morwenna" not in written and "rota" not in written, "no message text in the log"


def _posts_tried(fake) -> int:
    return len([c for c in fake.attempts if c.method == "chat.postMessage"])


async def test_slack_down_for_a_while_reply_retried_then_given_up_quietly_and_later_messages_answered(
    served, slack_fake, alice
):
    await alice.dm(served, "hello")  # Slack is fine: the bot is set up and answering

    slack_fake.fail_next("chat.postMessage", status=503, times=50, error="service_unavailable")
    tried = _posts_tried(slack_fake)
    resp = await served.slack().event(_dm(alice, SECRET_WORDS))
    assert resp.status == 200, "Slack's event is acknowledged whatever happens to the reply"
    failed = await served.wait_log(lambda r: r.get("msg") == "slack send failed")
    assert failed["method"] == "chat.postMessage" and failed["level"] == "warning"
    assert _posts_tried(slack_fake) - tried == 1 + SLACK_RETRIES, "a bounded number of tries, then given up"
    assert (await served.get("/healthz"))[0] == 200

    slack_fake.failures.clear()  # Slack is back
    reply = await alice.dm(served, "my team keeps missing deadlines and nobody owns the plan")
    assert reply.buttons(), "answered normally once Slack recovers"
    _no_text_in(served)
    metrics = await served.metrics()
    assert metric(metrics, "leadbot_platform_retries_total", platform="slack") == SLACK_RETRIES
    assert metric(metrics, "leadbot_delivery_failures_total", platform="slack") == 1


async def test_slack_throttling_a_reply_waits_for_retry_after_and_delivers_it_once(served, slack_fake, alice):
    await alice.dm(served, "hello")
    slack_fake.fail_next("chat.postMessage", status=429, times=1, headers={"Retry-After": "1"})
    reply = await alice.dm(served, SECRET_WORDS)
    assert reply.text, "delivered after the wait"
    assert len(alice.posts()) == 2, "once: the refused attempt was not posted"
    metrics = await served.metrics()
    assert metric(metrics, "leadbot_platform_retries_total", platform="slack") == 1
    assert metric(metrics, "leadbot_delivery_failures_total", platform="slack") == 0
    _no_text_in(served)


async def test_slack_throttling_longer_than_the_retries_gives_up_then_recovers(served, slack_fake, alice):
    await alice.dm(served, "hello")
    slack_fake.fail_next("chat.postMessage", status=429, times=50, headers={"Retry-After": "1"})
    tried = _posts_tried(slack_fake)
    await served.slack().event(_dm(alice, SECRET_WORDS))
    failed = await served.wait_log(lambda r: r.get("msg") == "slack send failed")
    assert failed["outcome"] == "throttled"
    assert _posts_tried(slack_fake) - tried == 1 + SLACK_RETRIES
    slack_fake.failures.clear()
    assert (await alice.dm(served, "hello again")).text
    assert (await served.get("/healthz"))[0] == 200
    _no_text_in(served)


async def test_teams_connector_down_for_a_while_reply_retried_then_given_up_and_later_messages_answered(
    served, connector
):
    teams = TeamsClient(SimpleNamespace(url=served.url), connector)
    try:
        await teams.say(SAM, "hello")
        connector.fail_next(503, times=50)
        tried = len(connector.attempts)
        status, _ = await teams.post(_teams_message(connector, SECRET_WORDS))
        assert status == 202
        lost = await served.wait_log(lambda r: r.get("msg") == "teams send failed")
        assert lost["status"] == 503 and lost["level"] == "warning"
        assert len(connector.attempts) - tried == TEAMS_ATTEMPTS, "a bounded number of tries, then given up"
        assert (await served.get("/healthz"))[0] == 200

        connector._failures.clear()  # the connector is back
        (reply,) = await teams.say(SAM, "my team keeps missing deadlines and nobody owns the plan")
        assert reply.actions, "answered normally once the connector recovers"
    finally:
        await teams.close()
    _no_text_in(served)
    metrics = await served.metrics()
    assert metric(metrics, "leadbot_platform_retries_total", platform="teams") == TEAMS_ATTEMPTS - 1
    assert metric(metrics, "leadbot_delivery_failures_total", platform="teams") == 1


async def test_teams_throttling_a_reply_honours_retry_after_and_delivers_it_once(served, connector):
    teams = TeamsClient(SimpleNamespace(url=served.url), connector)
    try:
        await teams.say(SAM, "hello")
        connector.fail_next(429, times=2, retry_after=1)
        (reply,) = await teams.say(SAM, SECRET_WORDS)
        assert reply.texts
        assert len(connector.messages(SAM.personal_conversation)) == 2, "once"
    finally:
        await teams.close()
    _no_text_in(served)


# --- helpers -----------------------------------------------------------------------------


def _dm(person, text: str) -> dict:
    from tests.fakes import slack_requests as rq

    event = rq.dm_event(person.workspace.team_id, person.user, person.dm_channel, text)
    return rq.event_envelope(person.workspace.team_id, event, person.workspace.bot_user_id)


def _teams_message(connector, text: str) -> dict:
    from tests.fakes.teams_client import personal_message

    return personal_message(connector.service_url, SAM, text)
