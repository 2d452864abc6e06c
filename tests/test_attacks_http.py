"""Fuzzing both endpoints of one running leadbot over loopback: malformed bodies are a 4xx, never a 500.

One `leadbot` app serves Slack (signing secret, bot token, the fake Slack Web
API) and Teams (no app id: local mode, replies go to the fake Bot Framework
connector) on 127.0.0.1. Every Slack request here is correctly signed, so what
is tested is the body, not the signature. After each malformed request nothing
may have been posted to either fake, and at the end the process still answers
/healthz, /readyz and an ordinary message on both platforms.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes import slack_requests as rq
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_harness import SECRET, T1_TOKEN, SlackWorld, slack_settings
from tests.fakes.teams_client import TeamsChannel, TeamsClient, TeamsUser, channel_mention, personal_message, submit

TEAM, USER, DM, BOT_USER = "T0FUZZ", "U0FUZZ", "D0FUZZ", "U0BOTF"
TENANT = "6b0d7e9f-0000-4000-8000-000000000006"
PAT = TeamsUser(TENANT, "4e5f6a7b-8c9d-4e0f-9a1b-3c4d5e6f7a8b", name="Pat Jones")
MIB = 1024 * 1024
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class Both:
    """One running leadbot with Slack and Teams mounted, the two fakes, and ways to post raw bytes."""

    def __init__(self, world: SlackWorld, connector: FakeConnector, teams: TeamsClient):
        self.world, self.connector, self.teams = world, connector, teams
        self.bot = world.bots[0]

    @property
    def url(self) -> str:
        return self.bot.url

    async def slack_raw(self, body: bytes | str, content_type: str | None, timestamp: int | None = None) -> int:
        data = body.encode() if isinstance(body, str) else body
        ts = str(int(time.time()) if timestamp is None else timestamp)
        # Signed over the raw bytes, as Slack signs them (whatever they are)
        signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + data, hashlib.sha256).hexdigest()
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}
        if content_type is not None:
            headers["Content-Type"] = content_type
        async with self.world.session.post(f"{self.url}/slack/events", data=data, headers=headers) as resp:
            await resp.read()
            return resp.status

    async def teams_raw(self, body: bytes | str | dict, content_type: str = "application/json") -> int:
        status, _ = await self.teams.post(
            body if not isinstance(body, dict) else json.dumps(body), content_type=content_type
        )
        return status

    def posted(self) -> int:
        """Everything either fake was asked to deliver (auth.test is Bolt checking its token, not a post)."""
        return len([c for c in self.world.fake.calls if c.method != "auth.test"]) + len(self.connector.attempts)

    async def settle(self) -> None:
        await self.bot.settle()
        await self.teams.bot.settle()

    async def still_serving(self) -> None:
        async with self.world.session.get(f"{self.url}/healthz") as resp:
            assert resp.status == 200
        async with self.world.session.get(f"{self.url}/readyz") as resp:
            assert resp.status == 200
        async with self.world.session.get(f"{self.url}/metrics") as resp:
            metrics = await resp.text()
        assert 'status="5xx"' not in metrics, "no request was ever answered with a server error"


@pytest.fixture
async def both(tmp_path, cache_dir):
    from tests.fakes.teams_client import RunningLeadbot

    world = await SlackWorld().start()
    world.fake.add_workspace(TEAM, T1_TOKEN, bot_user_id=BOT_USER, bot_id="B0BOTF")
    connector = await FakeConnector().start()
    bot = await world.add_leadbot(
        slack_settings(f"sqlite+aiosqlite:///{tmp_path / 'both.db'}", world.fake, cache_dir, token=T1_TOKEN)
    )
    teams = TeamsClient(RunningLeadbot(bot.url, bot.app, bot.services), connector)
    yield Both(world, connector, teams)
    await teams.close()
    await world.stop()
    await connector.stop()


# --- valid requests to start from ---------------------------------------------------------------


def slack_dm(text: str = "help") -> dict:
    return rq.event_envelope(TEAM, rq.dm_event(TEAM, USER, DM, text), BOT_USER)


def slack_mention(text: str = "help") -> dict:
    return rq.event_envelope(TEAM, rq.mention_event(TEAM, USER, "C0FUZZ", text, BOT_USER), BOT_USER)


def slack_press(world: SlackWorld) -> dict:
    button = {"action_id": "leadbot_choice:0", "value": "t0k3n|why", "text": {"type": "plain_text", "text": "Why?"}}
    return rq.block_actions(
        TEAM, USER, DM, button, world.fake.response_url("fuzz"), message={"type": "message", "ts": "1.5", "blocks": []}
    )


def teams_message(connector: FakeConnector, text: str = "help") -> dict:
    return personal_message(connector.service_url, PAT, text)


def teams_mention(connector: FakeConnector) -> dict:
    return channel_mention(connector.service_url, PAT, TeamsChannel(TENANT), "help")


# --- 1. hand-picked cases, each with the status an operator should see ---------------------------


def _with(base: dict, path: tuple, value: Any) -> dict:
    doc = json.loads(json.dumps(base))
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000


@pytest.mark.parametrize(
    "make, content_type, status",
    [
        (lambda w: json.dumps(_with(slack_dm(), ("event", "text"), 5)), "application/json", 400),
        (lambda w: json.dumps(_with(slack_dm(), ("event", "user"), {})), "application/json", 400),
        (lambda w: json.dumps(_with(slack_dm(), ("event", "channel"), ["D0FUZZ"])), "application/json", 400),
        (lambda w: json.dumps(_with(slack_dm(), ("event", "thread_ts"), 1.5)), "application/json", 400),
        (lambda w: json.dumps(_with(slack_mention(), ("event", "text"), {"text": "help"})), "application/json", 400),
        (lambda w: json.dumps(_with(slack_dm(), ("team_id",), 7)), "application/json", 400),
        (lambda w: json.dumps(_with(slack_dm(), ("event_id",), {"id": "Ev1"})), "application/json", 400),
        (lambda w: json.dumps(_with(slack_dm(), ("type",), ["event_callback"])), "application/json", 400),
        (
            lambda w: urlencode({"payload": json.dumps(_with(slack_press(w), ("actions", 0, "action_id"), 5))}),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            lambda w: urlencode({"payload": json.dumps(_with(slack_press(w), ("actions", 0, "value"), 5))}),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            lambda w: urlencode({"payload": json.dumps(_with(slack_press(w), ("actions",), []))}),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            lambda w: urlencode({"payload": json.dumps(_with(slack_press(w), ("user", "id"), ["U0FUZZ"]))}),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            lambda w: urlencode({"payload": json.dumps(_with(slack_press(w), ("response_url",), 5))}),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            lambda w: urlencode({"payload": json.dumps(_with(slack_press(w), ("trigger_id",), 5))}),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            lambda w: urlencode({"payload": json.dumps(_with(slack_press(w), ("type",), {}))}),
            "application/x-www-form-urlencoded",
            400,
        ),
        (lambda w: urlencode({"payload": "null"}), "application/x-www-form-urlencoded", 400),
        (lambda w: urlencode({"payload": "5"}), "application/x-www-form-urlencoded", 400),
        (lambda w: urlencode({"payload": ""}), "application/x-www-form-urlencoded", 400),
        (lambda w: urlencode({"not_payload": "x"}), "application/x-www-form-urlencoded", 400),
        (lambda w: "", "application/json", 400),
        (lambda w: "", "application/x-www-form-urlencoded", 400),
        (lambda w: "{}", "application/json", 400),
        (lambda w: DEEP_ARRAY, "application/json", 400),
        (lambda w: '{"type": "event_callback", "event": ' + DEEP_OBJECT + "}", "application/json", 400),
        (lambda w: urlencode({"payload": DEEP_ARRAY}), "application/x-www-form-urlencoded", 400),
        # Signed payload types no listener handles, with shapes Bolt's own matchers trip over (were 503s)
        (
            lambda w: urlencode(
                {
                    "payload": json.dumps(
                        {
                            "type": "view_submission",
                            "team": {"id": TEAM},
                            "user": {"id": USER},
                            "view": {"callback_id": 5},
                        }
                    )
                }
            ),
            "application/x-www-form-urlencoded",
            200,
        ),
        (
            lambda w: urlencode(
                {
                    "payload": json.dumps(
                        {"type": "block_suggestion", "team": {"id": TEAM}, "user": {"id": USER}, "action_id": 5}
                    )
                }
            ),
            "application/x-www-form-urlencoded",
            200,
        ),
        (lambda w: json.dumps(slack_dm()), "text/plain", 415),
        (lambda w: json.dumps(slack_dm()), None, 415),
        (lambda w: json.dumps(slack_dm()), "multipart/form-data; boundary=x", 415),
        (lambda w: urlencode(rq.slash_form(TEAM, USER, "C0FUZZ", "help", "http://127.0.0.1:9/x")), "text/html", 415),
    ],
    ids=[
        "event-text-int",
        "event-user-object",
        "event-channel-list",
        "event-thread-ts-float",
        "mention-text-object",
        "team-id-int",
        "event-id-object",
        "type-a-list",
        "action-id-int",
        "action-value-int",
        "actions-empty",
        "user-id-list",
        "response-url-int",
        "trigger-id-int",
        "payload-type-object",
        "payload-null",
        "payload-number",
        "payload-empty",
        "form-without-payload",
        "empty-json",
        "empty-form",
        "empty-object",
        "json-nested-100k-deep",
        "event-nested-50k-deep",
        "payload-nested-100k-deep",
        "view-submission-odd",
        "block-suggestion-odd",
        "json-as-text-plain",
        "no-content-type",
        "multipart",
        "form-as-html",
    ],
)
async def test_slack_malformed_but_signed_requests_get_a_4xx_and_nothing_is_posted(both, make, content_type, status):
    got = await both.slack_raw(make(both.world), content_type)
    assert got == status
    await both.settle()
    assert both.posted() == 0, "nothing reached the fake Slack or the fake connector"
    await both.still_serving()


@pytest.mark.parametrize("timestamp", ["", "abc", "1e9", "12.5", " 1700000000", "-1", "\u0661\u0662\u0663"])
async def test_slack_timestamps_that_are_not_a_number_are_refused_not_a_server_error(both, timestamp):
    body = json.dumps(slack_dm())
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": rq.signature(SECRET, timestamp, body),
    }
    async with both.world.session.post(f"{both.url}/slack/events", data=body.encode(), headers=headers) as resp:
        assert resp.status == 401, "was a 503 from inside slack_sdk's verifier"
    await both.settle()
    assert both.posted() == 0
    await both.still_serving()


def _teams_cases():
    cases = [
        (("text",), 5),
        (("text",), {}),
        (("text",), ["help"]),
        (("type",), 5),
        (("id",), {}),
        (("serviceUrl",), {"url": "http://127.0.0.1"}),
    ]
    cases += [
        (("from",), "Pat"),
        (("from", "id"), 5),
        (("from", "aadObjectId"), {}),
        (("recipient", "id"), 5),
        (("conversation", "id"), 7),
        (("conversation", "id"), {"id": "a:1"}),
        (("conversation", "tenantId"), 5),
        (("conversation", "isGroup"), "yes"),
        (("entities",), [5]),
        (("attachments",), "x"),
    ]
    return cases


@pytest.mark.parametrize("path, value", _teams_cases(), ids=lambda v: repr(v)[:30])
async def test_teams_wrongly_typed_fields_get_a_400_and_nothing_is_sent(both, path, value):
    # msrest would quietly turn {"text": 5} into "5" (and {} into "{}") and the bot would answer it.
    got = await both.teams_raw(_with(teams_message(both.connector), path, value))
    assert got == 400
    await both.settle()
    assert both.posted() == 0


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (DEEP_ARRAY, "application/json", 400),
        (DEEP_OBJECT, "application/json", 400),
        ('{"type": "message", "conversation": ' + DEEP_OBJECT + "}", "application/json", 400),
        (b"\xc3\x28{}", "application/json", 400),
        ("type=message&text=help", "application/x-www-form-urlencoded", 415),
        ('{"type": "message"}', "", 415),
        ('{"type": "message", "id": NaN}', "application/json", 400),
        ('{"type": "message", "id": ' + "9" * 5000 + "}", "application/json", 400),
    ],
    ids=[
        "nested-array",
        "nested-object",
        "nested-conversation",
        "invalid-utf8",
        "form",
        "no-content-type",
        "nan",
        "huge-integer",
    ],
)
async def test_teams_odd_bodies_are_a_4xx(both, body, content_type, status):
    assert await both.teams_raw(body, content_type=content_type) == status
    await both.settle()
    assert both.posted() == 0
    await both.still_serving()


async def test_bodies_over_one_mebibyte_are_413_on_both_endpoints_and_nothing_is_posted(both):
    huge = "x" * (MIB + 1)
    assert await both.slack_raw(json.dumps(slack_dm(huge)), "application/json") == 413
    assert (
        await both.slack_raw(
            urlencode({"payload": json.dumps(slack_press(both.world) | {"pad": huge})}),
            "application/x-www-form-urlencoded",
        )
        == 413
    )
    assert await both.teams_raw(teams_message(both.connector, huge)) == 413
    assert await both.teams_raw(b"[" * (MIB + 1)) == 413, "even before it is parsed"
    await both.settle()
    assert both.posted() == 0
    await both.still_serving()


# --- 2. generated: wrong types in the fields the bot reads, truncation, broken UTF-8 ---------------

WRONG_FOR_STR = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
WRONG_FOR_OBJECT = st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2), st.booleans())

# Fields leadbot (or Bolt) reads, per request kind: a wrong type in any of them is a 400.
SLACK_EVENT_FIELDS = [
    ("event", "text"),
    ("event", "user"),
    ("event", "channel"),
    ("event", "ts"),
    ("event", "channel_type"),
    ("event", "subtype"),
    ("event", "type"),
    ("team_id",),
    ("event_id",),
    ("type",),
    ("api_app_id",),
]
SLACK_PRESS_FIELDS = [
    ("actions", 0, "action_id"),
    ("actions", 0, "value"),
    ("actions", 0, "block_id"),
    ("user", "id"),
    ("team", "id"),
    ("container", "channel_id"),
    ("container", "message_ts"),
    ("channel", "id"),
    ("trigger_id",),
    ("response_url",),
    ("type",),
]
SLACK_OBJECTS = [
    ("event",),
    ("user",),
    ("team",),
    ("container",),
    ("message",),
    ("actions",),
    ("actions", 0),
    ("channel",),
]
TEAMS_FIELDS = [
    ("text",),
    ("type",),
    ("id",),
    ("channelId",),
    ("serviceUrl",),
    ("from", "id"),
    ("from", "aadObjectId"),
    ("conversation", "id"),
    ("conversation", "tenantId"),
    ("conversation", "conversationType"),
    ("recipient", "id"),
    ("replyToId",),
]
TEAMS_OBJECTS = [("from",), ("recipient",), ("conversation",)]
WRONG_FOR_LIST = st.one_of(
    st.integers(),
    st.text(max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), min_size=1, max_size=2),
)


def _slack_body(world: SlackWorld, kind: str, path: tuple, value: Any) -> tuple[str, str]:
    if kind == "press":
        return urlencode(
            {"payload": json.dumps(_with(slack_press(world), path, value))}
        ), "application/x-www-form-urlencoded"
    base = slack_dm() if kind == "dm" else slack_mention()
    return json.dumps(_with(base, path, value)), "application/json"


@FUZZ
@given(
    choice=st.one_of(
        st.tuples(st.sampled_from(["dm", "mention"]), st.sampled_from(SLACK_EVENT_FIELDS), WRONG_FOR_STR),
        st.tuples(st.just("press"), st.sampled_from(SLACK_PRESS_FIELDS), WRONG_FOR_STR),
        st.tuples(st.just("dm"), st.sampled_from([p for p in SLACK_OBJECTS if p[0] == "event"]), WRONG_FOR_OBJECT),
        st.tuples(st.just("press"), st.sampled_from([p for p in SLACK_OBJECTS if p[0] != "event"]), WRONG_FOR_OBJECT),
    )
)
async def test_fuzz_slack_wrong_types_in_fields_it_reads(both, choice):
    before = both.posted()
    kind, path, value = choice
    body, content_type = _slack_body(both.world, kind, path, value)
    assert await both.slack_raw(body, content_type) == 400
    await both.settle()
    assert both.posted() == before


@FUZZ
@given(
    choice=st.one_of(
        st.tuples(st.sampled_from(["dm", "mention"]), st.sampled_from(TEAMS_FIELDS), WRONG_FOR_STR),
        st.tuples(st.sampled_from(["dm", "mention"]), st.sampled_from(TEAMS_OBJECTS), WRONG_FOR_OBJECT),
        st.tuples(
            st.sampled_from(["dm", "mention"]), st.sampled_from([("entities",), ("attachments",)]), WRONG_FOR_LIST
        ),
    )
)
async def test_fuzz_teams_wrong_types_in_fields_it_reads(both, choice):
    before = both.posted()
    kind, path, value = choice
    base = teams_message(both.connector) if kind == "dm" else teams_mention(both.connector)
    assert await both.teams_raw(_with(base, path, value)) == 400
    await both.settle()
    assert both.posted() == before


def _valid_bodies(both: Both) -> list[tuple[str, bytes, str]]:
    press = urlencode({"payload": json.dumps(slack_press(both.world))})
    return [
        ("slack", json.dumps(slack_dm("our rota is a mess")).encode(), "application/json"),
        ("slack", json.dumps(slack_mention("our rota is a mess")).encode(), "application/json"),
        ("slack", press.encode(), "application/x-www-form-urlencoded"),
        ("teams", json.dumps(teams_message(both.connector, "our rota is a mess")).encode(), "application/json"),
        (
            "teams",
            json.dumps(
                submit(
                    both.connector.service_url,
                    PAT,
                    _FakeCard(PAT.personal_conversation),
                    {"leadbot": "choice", "value": "why", "token": "t"},
                )
            ).encode(),
            "application/json",
        ),
        ("teams", json.dumps(teams_mention(both.connector)).encode(), "application/json"),
    ]


class _FakeCard:
    """Enough of a sent card for `submit()` to address a press to it."""

    def __init__(self, conversation_id: str):
        self.conversation_id, self.id = conversation_id, "1700000000001"


@FUZZ
@given(
    which=st.integers(0, 5),
    cut=st.floats(0, 1, exclude_max=True),
    junk=st.sampled_from([b"", b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x00"]),
    where=st.floats(0, 1),
)
async def test_fuzz_truncated_and_broken_utf8_bodies_on_both_endpoints(both, which, cut, junk, where):
    before = both.posted()
    platform, body, content_type = _valid_bodies(both)[which]
    body = body[: int(len(body) * cut)]  # a body cut off anywhere (0 bytes included)
    at = int(len(body) * where)
    body = body[:at] + junk + body[at:]
    if platform == "slack":
        status = await both.slack_raw(body, content_type)
    else:
        status = await both.teams_raw(body, content_type)
    assert 400 <= status < 500, (platform, status)
    await both.settle()
    assert both.posted() == before


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    ),
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream"]
    ),
)
async def test_fuzz_arbitrary_bodies_never_get_a_5xx(both, body, content_type):
    before = both.posted()
    for status in (await both.slack_raw(body, content_type), await both.teams_raw(body, content_type)):
        assert status < 500
    await both.settle()
    assert both.posted() == before, "arbitrary JSON is not a message anyone sent"


async def test_after_all_that_both_platforms_still_answer(both):
    assert await both.slack_raw(b"{" * 1000, "application/json") == 400
    assert await both.teams_raw(b"{" * 1000) == 400
    await both.still_serving()
    assert await both.slack_raw(json.dumps(slack_dm("help")), "application/json") == 200
    await both.settle()
    assert [c.method for c in both.world.fake.calls if c.method not in ("auth.test", "users.info")] == [
        "chat.postMessage"
    ]  # users.info: the locale
    (reply,) = await both.teams.say(PAT, "help")
    assert reply.texts[0] == "How leadbot works"
