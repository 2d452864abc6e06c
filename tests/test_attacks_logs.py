"""`leadbot serve` at DEBUG never writes what a manager typed, on any flow of either platform.

The real console script runs as a subprocess (stdout and stderr captured), with
Slack pointed at the fake Web API and Teams in local mode answering the fake
connector. A distinctive marker goes through every flow: DMs, a mention, slash
commands, buttons, the quick test, an escalation, help, forget me, App Home,
Teams personal chat, a channel mention and card submits, and requests that are
refused as malformed. Then no log line, at any level, may contain it; and every
line is JSON with a request id, the requests' own ids where there is one. Nor
may any row of the database, the audit log included, which by then holds the
flows' events (nudges turned on, changed and off, forget-me runs, the
escalations' counts, the settings and content at start-up).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.conftest import LEADBOT
from tests.fakes import slack_requests as rq
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_harness import SECRET, T1_TOKEN
from tests.fakes.teams_client import TeamsChannel, TeamsClient, TeamsUser, channel_mention, personal_message, submit

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

# The number is eight digits: no stored or logged time has a run of digits that long (microseconds are six),
# so it can only be found where the message's own text was kept. "7781" once matched a receipt's seen_at.
MARKER = "zebracrossing-40718293"
WORDS = (MARKER, "zebracrossing", "40718293", "rota is a mess")
SAID = f"{MARKER} our rota is a mess"
TEAM, USER, DM, BOT_USER = "T0LOGS", "U0LOGS", "D0LOGS", "U0BOTL"
TENANT = "8e2f4a6b-0000-4000-8000-000000000008"
LEE = TeamsUser(TENANT, "5f6a7b8c-9d0e-4f1a-8b2c-4d5e6f7a8b9c", name="Lee Brown")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


class Served:
    url: str

    def __init__(self, url: str):
        self.url = url


@pytest.fixture
async def serve(tmp_path, cache_dir):
    fake = FakeSlackApi()
    await fake.start()
    fake.add_workspace(TEAM, T1_TOKEN, bot_user_id=BOT_USER, bot_id="B0BOTL")
    connector = await FakeConnector().start()
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "LEADBOT_", "DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}",
        SLACK_BOT_TOKEN=T1_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        LEADBOT_LOG_LEVEL="DEBUG",
        LEADBOT_CACHE_DIR=str(cache_dir),
    )
    proc = await asyncio.create_subprocess_exec(
        LEADBOT,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=str(tmp_path),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # Read its output as it comes: at DEBUG it writes more than a pipe holds, and a full pipe would stall it.
    proc.logged = [bytearray(), bytearray()]
    proc.readers = [
        asyncio.create_task(_drain(stream, buf))
        for stream, buf in zip((proc.stdout, proc.stderr), proc.logged, strict=False)
    ]
    url = f"http://127.0.0.1:{port}"
    session = aiohttp.ClientSession()
    try:
        for _ in range(600):  # start-up: fits or loads the model, migrates; up to a minute on a busy machine
            try:
                async with session.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                if proc.returncode is not None:
                    raise AssertionError(
                        f"leadbot serve exited: {(await proc.stderr.read()).decode()[-2000:]}"
                    ) from None
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("leadbot serve did not come up")
        yield url, fake, connector, session, proc
    finally:
        await session.close()
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await connector.stop()
        await fake.stop()


class SlackPerson:
    def __init__(self, url: str, fake: FakeSlackApi, session: aiohttp.ClientSession):
        self.sender = rq.SlackSender(session, url, SECRET)
        self.fake, self.n = fake, 0

    async def posted_after(self, send, method: str = "chat.postMessage", channel: str = DM) -> Call:
        before = len(self.fake.of(method, channel=channel))
        resp = await send()
        assert resp.status == 200, resp.status
        calls = await self.fake.wait_for(method, before + 1, timeout=20, channel=channel)
        return calls[-1]

    async def dm(self, text: str) -> Call:
        envelope = rq.event_envelope(TEAM, rq.dm_event(TEAM, USER, DM, text), BOT_USER)
        return await self.posted_after(lambda: self.sender.event(envelope))

    async def press(self, message: Call, label: str) -> Call:
        payload = rq.block_actions(
            TEAM, USER, DM, message.button(label), self.fake.response_url("press"), message=rq.message_of(message)
        )
        return await self.posted_after(lambda: self.sender.interaction(payload))

    async def command(self, text: str) -> Call:
        self.n += 1
        name = f"cmd{self.n}"
        form = rq.slash_form(TEAM, USER, "C0LOGS", text, self.fake.response_url(name))
        assert (await self.sender.command(form)).status == 200
        return (await self.fake.wait_for("respond", 1, timeout=20, _name=name))[-1]


def labels(call: Call) -> list[str]:
    return [b["text"]["text"] for b in call.buttons()]


async def slack_flows(url: str, fake: FakeSlackApi, session: aiohttp.ClientSession, content) -> None:
    alice = SlackPerson(url, fake, session)
    msgs = content.messages.choice_labels
    reply = await alice.dm(SAID)
    # the buttons, through to the end: not quite -> quick test -> a diagnosis -> why, another step, done, useful
    if msgs["not_quite"] in labels(reply):
        reply = await alice.press(reply, msgs["not_quite"])
    for _ in range(6):
        if msgs["why"] in labels(reply):
            break
        reply = await alice.press(reply, labels(reply)[0])
    for label in ("why", "another_step", "done", "useful_yes"):
        if msgs[label] in labels(reply):
            reply = await alice.press(reply, msgs[label])
    await alice.dm(f"{MARKER} my team is struggling and I don't know where to start")  # vague: the quick test
    await alice.dm(
        f"{MARKER} one of my team says a colleague is bullying her and I don't know what to do"
    )  # escalation
    await alice.dm("help")
    await alice.dm(f"{MARKER} 2")
    # forged button values carrying the marker: answered as stale (in the DM), or privately if unreadable
    forged = {
        "action_id": "leadbot_choice:0",
        "value": json.dumps({"t": MARKER, "v": SAID}),
        "text": {"type": "plain_text", "text": SAID},
    }
    payload = rq.block_actions(
        TEAM,
        USER,
        DM,
        forged,
        fake.response_url("forged"),
        message={"type": "message", "ts": "1.5", "text": SAID, "blocks": []},
    )
    stale = await alice.posted_after(lambda: alice.sender.interaction(payload))
    assert content.messages.stale_choice in stale.all_text()
    garbled = {"action_id": "leadbot_choice:9", "value": SAID, "text": {"type": "plain_text", "text": SAID}}
    payload = rq.block_actions(
        TEAM, USER, DM, garbled, fake.response_url("garbled"), message={"type": "message", "ts": "1.6", "blocks": []}
    )
    assert (await alice.sender.interaction(payload)).status == 200
    await fake.wait_for("respond", 1, timeout=20, _name="garbled")
    mention = rq.event_envelope(TEAM, rq.mention_event(TEAM, USER, "C0LOGS", SAID, BOT_USER), BOT_USER)
    await alice.posted_after(lambda: alice.sender.event(mention), channel="C0LOGS")
    await alice.command(SAID)
    await alice.command("help")
    # weekly nudges: the audit log records who changed what, and nothing of what was typed
    assert "couldn't read" in (await alice.command(f"nudge on {MARKER}")).all_text()
    await alice.command("nudge on tuesday 10:30")
    await alice.command(f"nudge {MARKER}")
    await alice.command("nudge on friday 9am")
    await alice.command("nudge off")
    # events nobody answers, and requests refused as malformed, still carrying the marker
    edited = rq.event_envelope(
        TEAM, rq.dm_event(TEAM, USER, DM, SAID, subtype="message_changed", message={"text": SAID}), BOT_USER
    )
    assert (await alice.sender.event(edited)).status == 200
    home = rq.event_envelope(TEAM, rq.home_opened_event(USER), BOT_USER)
    assert (await alice.sender.event(home)).status == 200
    await fake.wait_for("views.publish", 1, timeout=20)
    bad_event = rq.dm_event(TEAM, USER, DM, SAID)
    bad_event["user"] = {"name": SAID}
    bad = json.dumps(rq.event_envelope(TEAM, bad_event, BOT_USER))
    assert (await alice.sender.post_raw(bad, "application/json")).status == 400
    assert (
        await alice.sender.post_raw(urlencode({"payload": "{" + SAID}), "application/x-www-form-urlencoded")
    ).status == 400
    assert (await alice.sender.post_raw(SAID, "text/plain")).status == 415
    unsigned = json.dumps(rq.event_envelope(TEAM, rq.dm_event(TEAM, USER, DM, SAID), BOT_USER))
    async with session.post(
        f"{url}/slack/events",
        data=unsigned,
        headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"},
    ) as resp:
        assert resp.status == 401
    done = await alice.dm("forget me")
    assert "deleted everything" in done.all_text()
    await alice.command("forget me")


async def teams_flows(url: str, connector: FakeConnector) -> None:
    teams = TeamsClient(Served(url), connector)  # type: ignore[arg-type]
    try:
        (card,) = await teams.say(LEE, SAID)
        titles = [a["title"] for a in card.actions]
        assert titles, "the first reply has buttons"
        (card,) = await teams.press(LEE, card, titles[0])
        (stale,) = await teams.send(
            submit(connector.service_url, LEE, card, {"leadbot": "choice", "value": SAID, "token": MARKER})
        )
        assert stale.texts[0].startswith("That button belongs")
        (_other,) = await teams.send(submit(connector.service_url, LEE, card, {"note": SAID}))
        channel = TeamsChannel(TENANT)
        (short,) = await teams.send(channel_mention(connector.service_url, LEE, channel, SAID))
        await teams.send(
            submit(connector.service_url, LEE, short, short.action("Continue in a private chat")["data"]),
            conversation_id=LEE.personal_conversation,
        )
        await teams.say(LEE, f"{MARKER} one of my team says a colleague is bullying her")
        await teams.say(LEE, "help")
        malformed = personal_message(connector.service_url, LEE, SAID)
        malformed["from"]["id"] = {"name": SAID}
        assert (await teams.post(malformed))[0] == 400
        assert (await teams.post(SAID.encode(), content_type="application/json"))[0] == 400
        (done,) = await teams.say(LEE, "forget me")
        assert done.texts[0].startswith("Done. I've deleted everything")
    finally:
        await teams.close()


def database_rows(path) -> dict[str, list[dict]]:
    """Every row of every table in leadbot's SQLite file."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: [dict(row) for row in db.execute(f'SELECT * FROM "{name}"')] for name in names}


async def test_no_message_text_in_any_log_line_and_every_line_is_json_with_a_request_id(serve, content, tmp_path):
    url, fake, connector, session, proc = serve
    async with session.get(f"{url}/healthz", headers={"X-Request-Id": "probe-4242"}) as resp:
        assert resp.headers["X-Request-Id"] == "probe-4242"
    await slack_flows(url, fake, session, content)
    await teams_flows(url, connector)
    marked = json.dumps(rq.event_envelope(TEAM, rq.dm_event(TEAM, USER, DM, "help"), BOT_USER))
    headers = rq.signed_headers(SECRET, marked, "application/json")
    async with session.post(
        f"{url}/slack/events", data=marked, headers={**headers, "X-Request-Id": "trace-me-0001"}
    ) as resp:
        assert resp.status == 200 and resp.headers["X-Request-Id"] == "trace-me-0001"
    await fake.wait_for("chat.postMessage", len(fake.of("chat.postMessage", channel=DM)) or 1, timeout=20, channel=DM)

    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.wait(), 30)
    await asyncio.wait_for(asyncio.gather(*proc.readers), 10)
    out, err = (bytes(buf) for buf in proc.logged)
    lines = [line for line in (out + err).decode("utf-8", "replace").splitlines() if line.strip()]
    assert len(lines) > 40, "DEBUG logging was on and said things"

    for word in WORDS:
        leaked = [line for line in lines if word.casefold() in line.casefold()]
        assert not leaked, f"{word!r} was logged: {leaked[:3]}"

    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line[:200]}") from None
    assert all({"ts", "level", "logger", "msg", "request_id"} <= set(r) for r in records)
    assert {r["level"] for r in records} >= {"debug", "info"}, "lines at every level were checked"
    requests = [r for r in records if r["logger"] == "bot.server.app" and r["msg"] == "request"]
    assert len(requests) >= 30 and all(r["request_id"] != "-" for r in requests), "each request's line has its id"
    assert any(r["request_id"] == "trace-me-0001" for r in requests), "an id the caller sent is the one logged"
    turns = [r for r in records if r["msg"] == "turn" and r.get("platform") == "slack"]
    assert turns and all(r["request_id"] != "-" for r in turns), "work done after the ack keeps its request's id"

    # The database, the audit log included, holds none of it either.
    tables = database_rows(tmp_path / "logs.db")
    for word in WORDS:
        stored = [
            f"{name}: {row}"[:300]
            for name, rows in tables.items()
            for row in rows
            if word.casefold() in str(row).casefold()
        ]
        assert not stored, f"{word!r} was stored: {stored[:3]}"
    kinds = {f"{row['kind']}/{row['action']}" for row in tables["audit_events"]}
    assert {
        "subscription/nudge_on",
        "subscription/schedule_changed",
        "subscription/nudge_off",
        "forget_me/ran",
        "settings/first_recorded",
        "content/first_recorded",
    } <= kinds, kinds
    assert tables["escalation_counts"], "the escalations were counted (per day and topic)"
