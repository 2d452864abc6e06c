"""Bad input on /api/messages: a 4xx or a quiet ignore, never a 500, never a crash."""

from __future__ import annotations

import pytest

from tests.fakes.teams_client import BOT_ID, TeamsClient, TeamsUser, personal_message

TENANT = "5a9c6d8e-0000-4000-8000-000000000005"
MO = TeamsUser(TENANT, "3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a", name="Mo Khan")


async def _still_answers(teams: TeamsClient) -> None:
    (reply,) = await teams.say(MO, "help")
    assert reply.texts[0] == "How leadbot works"


@pytest.mark.parametrize(
    "body,content_type,status",
    [
        (b"this is not json", "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'"a string"', "application/json", 400),
        (b"", "application/json", 400),
        (b'{"type": "message"}', "text/plain", 415),
    ],
)
async def test_a_body_that_is_not_an_activity_is_a_4xx(teams, body, content_type, status):
    got, answer = await teams.post(body, content_type=content_type)
    assert got == status and answer and answer["error"]
    await _still_answers(teams)


@pytest.mark.parametrize(
    "change,problem",
    [
        (lambda a: a.pop("type"), "activity has no type"),
        (lambda a: a.pop("conversation"), "activity has no conversation"),
        (lambda a: a.update(conversation={"conversationType": "personal"}), "activity has no conversation"),
        (lambda a: a.pop("serviceUrl"), "activity has no http(s) serviceUrl"),
        (lambda a: a.update(serviceUrl="file:///etc/passwd"), "activity has no http(s) serviceUrl"),
        (lambda a: a.pop("from"), "message has no sender"),
        (lambda a: a.update(conversation="not an object"), "body is not an Activity"),
        (lambda a: a.update(timestamp="yesterday"), "body is not an Activity"),
        (lambda a: a.update(entities="nope"), "body is not an Activity"),
    ],
)
async def test_an_activity_missing_what_teams_always_sends_is_a_400(teams, connector, change, problem):
    activity = personal_message(connector.service_url, MO, "help")
    change(activity)
    status, answer = await teams.post(activity)
    assert (status, answer) == (400, {"error": problem})
    await teams.bot.settle()
    assert connector.attempts == []


async def test_an_unknown_activity_type_is_quietly_ignored(teams, connector):
    for kind in ("messageReaction", "typing", "event", "endOfConversation", "somethingNew"):
        activity = personal_message(connector.service_url, MO, "help")
        activity["type"] = kind
        status, _ = await teams.post(activity)
        assert status == 202
    await teams.bot.settle()
    assert connector.attempts == []
    await _still_answers(teams)


async def test_odd_shapes_inside_a_valid_activity_do_not_crash(teams, connector):
    odd = personal_message(connector.service_url, MO, "help")
    odd["channelData"] = "not a dict"  # no tenant anywhere: Teams always sends one, so it is ignored
    odd["conversation"].pop("tenantId")
    mention = personal_message(connector.service_url, MO, "help")
    mention["entities"] = [{"type": "mention", "text": "(a+)+$", "mentioned": "not a dict"}, {"type": "mention"}]
    for activity in (odd, mention):
        assert (await teams.post(activity))[0] == 202
    await teams.bot.settle()
    assert len(connector.messages(MO.personal_conversation)) == 1, "the one with a tenant was answered"


@pytest.mark.parametrize(
    "name,value",
    [
        ("composeExtension/query", {"commandId": "search", "parameters": []}),
        ("task/fetch", {"data": {}}),
        ("adaptiveCard/action", {"action": {"type": "Action.Execute", "verb": "why", "data": {}}}),
        ("adaptiveCard/action", {"nonsense": True}),
        (None, {"leadbot": "choice"}),
    ],
)
async def test_an_invoke_we_do_not_handle_gets_a_proper_invoke_response(teams, connector, name, value):
    activity = personal_message(connector.service_url, MO, "")
    activity.update(type="invoke", value=value)
    activity.pop("text")
    if name:
        activity["name"] = name
    status, body = await teams.post(activity)
    assert status == 400, "a clear 'not supported', not a server error"
    assert isinstance(body, dict)
    await _still_answers(teams)


async def test_an_enormous_text_is_answered(teams, connector):
    huge = "My team keeps missing deadlines and nobody owns the backlog. " * 1700  # about 100 KB
    (reply,) = await teams.send(personal_message(connector.service_url, MO, huge))
    assert reply.texts, "an answer, whatever it says"


async def test_a_body_over_one_mebibyte_is_413(teams, connector):
    activity = personal_message(connector.service_url, MO, "x" * (1024 * 1024 + 10))
    status, _ = await teams.post(activity)
    assert status == 413
    await _still_answers(teams)


async def test_a_mention_of_someone_else_keeps_their_name_and_drops_ours(teams, connector):
    activity = personal_message(connector.service_url, MO, "<at>leadbot</at> help")
    activity["entities"].append(
        {"type": "mention", "mentioned": {"id": BOT_ID, "name": "leadbot"}, "text": "<at>leadbot</at>"}
    )
    (reply,) = await teams.send(activity)
    assert reply.texts[0] == "How leadbot works", "'help' was understood once the mention was removed"


async def test_requests_are_counted_by_surface_and_never_as_5xx(teams, connector):
    await teams.post(b"nope")
    await _still_answers(teams)
    samples = {
        (s.labels.get("surface"), s.labels.get("status"))
        for m in teams.bot.metrics.registry.collect()
        for s in m.samples
        if s.name == "leadbot_requests_total" and s.labels.get("platform") == "teams"
    }
    assert ("events", "4xx") in samples and ("dm", "2xx") in samples
    assert not any(status == "5xx" for _, status in samples)
