"""What happens to `leadbot serve` processes that are killed or told to stop.

- SIGKILL mid-conversation: a second replica on the same PostgreSQL carries the
  conversation on, because its state lives in the database, not the process.
- SIGTERM: a reply already being sent is finished, and the process exits 0
  within the 10 seconds a container platform gives it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from types import SimpleNamespace

import pytest

from tests.fakes.serve_process import ServeProcess, serve_env
from tests.fakes.teams_client import TeamsClient
from tests.fault_support import SAM, alice, private_pg, processes, slack_fake  # noqa: F401

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

PROBLEM = "half the team still think we're doing the old triage and the other half the new one"
GRACE_SECONDS = 10  # what Kubernetes, ECS and systemd's usual settings give a process after SIGTERM


def _labels(call) -> list[str]:
    return [b["text"]["text"] for b in call.buttons()]


async def test_a_replica_killed_mid_conversation_the_other_replica_carries_it_on(
    private_pg, slack_fake, connector, alice, processes, tmp_path, content
):
    env = serve_env(private_pg.url, slack_fake)
    a = await ServeProcess.start(env, tmp_path / "a")
    processes.append(a)
    b = await ServeProcess.start(env, tmp_path / "b")
    processes.append(b)
    labels = content.messages.choice_labels
    not_carried = {content.messages.unavailable, content.messages.stale_choice, content.messages.state_reset}

    # Slack: the diagnosis (with its buttons) comes from replica A ...
    first = await alice.dm(a, PROBLEM)
    assert first.buttons(), "a diagnosis or a quick-test question, with buttons"
    # ... and Teams too
    teams_a = TeamsClient(SimpleNamespace(url=a.url), connector)
    teams_b = TeamsClient(SimpleNamespace(url=b.url), connector)
    try:
        (card,) = await teams_a.say(SAM, PROBLEM)
        assert card.actions

        a.send_signal(signal.SIGKILL)
        assert await a.wait() == -signal.SIGKILL

        # The press on A's message reaches replica B, which knows where the conversation was.
        pressed = labels["why"] if labels["why"] in _labels(first) else _labels(first)[0]
        after = await alice.press(b, first, pressed)
        said = after.text + "\n" + after.all_text()
        assert not any(m in said for m in not_carried), said
        if pressed == labels["why"]:
            assert after.header() == "Why I said that"
        else:
            assert after.buttons(), "the next question, or the diagnosis, with its buttons"
        update = slack_fake.of("chat.update", ts=first.args["ts"])
        assert update, "the pressed message shows what was chosen: B treated it as a live press"

        titles = [x["title"] for x in card.actions]
        title = "Why?" if "Why?" in titles else titles[0]
        (teams_after,) = await teams_b.press(SAM, card, title)
        shown = "\n".join(teams_after.texts)
        assert not any(m in shown for m in not_carried), shown
        if title == "Why?":
            assert "Why I said that" in shown
    finally:
        await teams_a.close()
        await teams_b.close()
    assert (await b.get("/readyz"))[0] == 200


async def test_sigterm_finishes_the_reply_being_sent_and_exits_cleanly_within_the_grace_period(
    slack_fake, alice, processes, tmp_path
):
    served = await ServeProcess.start(
        serve_env(f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}", slack_fake), tmp_path / "serve"
    )
    processes.append(served)
    await alice.dm(served, "hello")

    slack_fake.slow["chat.postMessage"] = 3  # Slack takes its time: the reply is mid-send when SIGTERM arrives
    before = len(alice.posts())
    tried = len(slack_fake.attempts)
    resp = await served.slack().event(_dm(alice, PROBLEM))
    assert resp.status == 200
    await slack_fake.wait_until(lambda: any(c.method == "chat.postMessage" for c in slack_fake.attempts[tried:]))

    served.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    code = await served.wait(timeout=GRACE_SECONDS + 5)
    took = time.monotonic() - signalled
    assert code == 0, served.stderr_tail()
    assert took < GRACE_SECONDS, f"exited {took:.1f}s after SIGTERM: the platform would have killed it"
    assert len(alice.posts()) == before + 1, "the reply that was being sent arrived"
    assert "Traceback" not in "\n".join(served.lines)
    assert not [r for r in served.logs() if r.get("level") in ("error", "critical")], served.stderr_tail()


def _dm(person, text: str) -> dict:
    from tests.fakes import slack_requests as rq

    event = rq.dm_event(person.workspace.team_id, person.user, person.dm_channel, text)
    return rq.event_envelope(person.workspace.team_id, event, person.workspace.bot_user_id)


async def test_sigterm_with_slack_and_teams_both_stuck_still_exits_within_the_grace_period(
    slack_fake, connector, alice, processes, tmp_path
):
    """Neither platform answers at all: the replies are abandoned (and logged), not waited for past the grace period."""
    served = await ServeProcess.start(
        serve_env(f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}", slack_fake), tmp_path / "serve"
    )
    processes.append(served)
    teams = TeamsClient(SimpleNamespace(url=served.url), connector)
    try:
        await alice.dm(served, "hello")
        await teams.say(SAM, "hello")
        slack_fake.hang.add("chat.postMessage")
        held = connector.hold_next()
        tried = len(slack_fake.attempts)
        await served.slack().event(_dm(alice, PROBLEM))
        status, _ = await teams.post(_teams_message(connector, PROBLEM))
        assert status == 202
        await slack_fake.wait_until(lambda: any(c.method == "chat.postMessage" for c in slack_fake.attempts[tried:]))
        await _until(lambda: connector.attempts.count("reply") >= 2)  # "hello"'s reply, then this one, held

        served.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        code = await served.wait(timeout=GRACE_SECONDS + 20)
        took = time.monotonic() - signalled
        held.set()
    finally:
        await teams.close()
    assert code == 0, served.stderr_tail()
    assert took < GRACE_SECONDS, (
        f"exited {took:.1f}s after SIGTERM: the platform would have killed it" + served.stderr_tail(15)
    )
    assert "Traceback" not in "\n".join(served.lines)


async def _until(predicate, timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


def _teams_message(connector, text: str) -> dict:
    from tests.fakes.teams_client import personal_message

    return personal_message(connector.service_url, SAM, text)
