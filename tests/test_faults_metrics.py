"""GET /metrics after a run of conversations on Slack and Teams: what an operator graphs and alerts on,
and nothing in any label that identifies a person, a channel or what was said."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.storage.db import make_engine
from bot.storage.migrate import upgrade
from tests.fakes import slack_requests as rq
from tests.fakes.serve_process import ServeProcess, metric, serve_env
from tests.fakes.teams_client import TeamsClient
from tests.fault_support import SAM, TEAM, alice, processes, slack_fake  # noqa: F401
from tests.nudge_support import subscribe, utc

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

PROBLEM = "half the team still think we're doing the old triage and the other half the new one"
BULLYING = "one of my team told me her supervisor has been bullying her for months"
CHANNELS = [("slack", TEAM, "C0NUDGES1"), ("teams", SAM.tenant_id, "19:nudgechannel@thread.tacv2")]

# Every label and the values it may take: small, fixed sets, never anything a user sent.
ALLOWED = {
    "platform": {"slack", "teams", "none"},
    "surface": {"dm", "mention", "home", "slash", "button", "events", "oauth", "install", "invoke", "other"},
    "status": {"1xx", "2xx", "3xx", "4xx", "5xx"},
    "first_move": {"lead", "manage", "escalate", "none"},
    "outcome": {"sent", "failed", "skipped", "paused", "retry", "unknown"},
}


async def _through_to_a_diagnosis(served, person, content):
    why = content.messages.choice_labels["why"]
    reply = await person.dm(served, PROBLEM)
    for _ in range(5):
        labels = [b["text"]["text"] for b in reply.buttons()]
        if why in labels:
            return reply
        reply = await person.press(served, reply, labels[0])
    raise AssertionError("no diagnosis after the quick test")


async def test_metrics_after_a_run_of_conversations_say_what_happened_and_name_nobody(
    slack_fake, connector, alice, processes, tmp_path, content
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}"
    db = make_engine(url)
    await upgrade(db)
    await subscribe(
        db, CHANNELS, on_at=utc(2020, 1, 6)
    )  # on for years: the weeks missed while the service was down are skipped
    await db.dispose()
    served = await ServeProcess.start(serve_env(url, slack_fake), tmp_path / "serve")
    processes.append(served)
    teams = TeamsClient(SimpleNamespace(url=served.url), connector)
    try:
        diagnosis = await _through_to_a_diagnosis(served, alice, content)
        await alice.press(served, diagnosis, content.messages.choice_labels["why"])
        await alice.dm(served, BULLYING)
        form = rq.slash_form(TEAM, alice.user, "C0LEADS", "help", slack_fake.response_url("cmd-metrics"))
        assert (await served.slack().command(form)).status == 200
        await slack_fake.wait_for("respond", _name="cmd-metrics")

        (card,) = await teams.say(SAM, PROBLEM)
        for _ in range(5):  # through the quick test, if it asks, to a diagnosis
            titles = [a["title"] for a in card.actions]
            if "Why?" in titles:
                break
            (card,) = await teams.press(SAM, card, titles[0])
        (_why,) = await teams.press(SAM, card, "Why?")
        await teams.say(SAM, BULLYING)
        async with served.http.get(f"{served.url}/{alice.user}/{alice.dm_channel}/triage") as stray:
            assert stray.status == 404
    finally:
        await teams.close()
    await served.wait_log(lambda r: r.get("msg") == "nudge run")
    text = await served.metrics()

    # Requests and latency, by platform and surface
    for platform, surface in [
        ("slack", "dm"),
        ("slack", "button"),
        ("slack", "slash"),
        ("teams", "dm"),
        ("teams", "button"),
    ]:
        assert metric(text, "leadbot_requests_total", platform=platform, surface=surface, status="2xx") >= 1, (
            platform,
            surface,
        )
        assert metric(text, "leadbot_request_seconds_count", platform=platform, surface=surface) >= 1, (
            platform,
            surface,
        )
    # Diagnoses by first move, and escalations
    for platform in ("slack", "teams"):
        moves = {
            m: metric(text, "leadbot_diagnoses_total", platform=platform, first_move=m) for m in ("lead", "manage")
        }
        assert sum(moves.values()) >= 1, (platform, moves)
        assert metric(text, "leadbot_diagnoses_total", platform=platform, first_move="escalate") == 1
        assert metric(text, "leadbot_escalations_total", platform=platform) == 1
    # Nudges by outcome, and retries: every series is there from the start (a graph shows 0, not "no data")
    assert metric(text, "leadbot_nudges_total", platform="slack", outcome="skipped") >= 1
    assert metric(text, "leadbot_nudges_total", platform="teams", outcome="skipped") >= 1
    names = {(s.name, tuple(sorted(s.labels.items()))) for f in text_string_to_metric_families(text) for s in f.samples}
    for platform in ("slack", "teams"):
        for outcome in ("sent", "failed", "skipped"):
            assert ("leadbot_nudges_total", (("outcome", outcome), ("platform", platform))) in names, (
                platform,
                outcome,
            )
        assert ("leadbot_platform_retries_total", (("platform", platform),)) in names

    # No label value identifies anyone or quotes anything
    identifying = [
        alice.user,
        alice.dm_channel,
        TEAM,
        SAM.aad_object_id,
        SAM.teams_id,
        SAM.personal_conversation,
        SAM.tenant_id,
        "C0LEADS",
        "C0NUDGES1",
    ]
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for label, value in sample.labels.items():
                if label in ("le", "quantile"):
                    continue
                if label == "event":  # what a turn did: a dialog's event name ("diagnosis", "quiz", "stale"...)
                    assert re.fullmatch(r"[a-z_]{2,24}", value), f"{sample.name}: event={value!r}"
                elif sample.name == "leadbot_build_info":  # which build runs: one series
                    assert label in ("version", "python") and re.fullmatch(r"[0-9a-z.+-]{1,32}", value), (
                        f"{label}={value!r}"
                    )
                else:
                    assert label in ALLOWED, f"{sample.name}: unexpected label {label}={value!r}"
                    assert value in ALLOWED[label], f"{sample.name}: {label}={value!r} is not one of the known values"
                assert not any(i and i in value for i in identifying), f"{sample.name}: {label}={value!r}"
                assert "triage" not in value and "bullying" not in value


def test_the_alerted_turn_series_exists_from_start_up_at_zero():
    """The README's alert is increase(leadbot_turns_total{event="unavailable"}[5m]) > 0: a series born at 1
    on the first outage after a restart would never show an increase, so the first outage would be missed."""
    from prometheus_client import generate_latest

    from bot.metrics import Metrics

    text = generate_latest(Metrics().registry).decode()
    for platform in ("slack", "teams"):
        assert f'leadbot_turns_total{{event="unavailable",platform="{platform}"}} 0.0' in text
