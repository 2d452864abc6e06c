"""The Teams side of an end-to-end test: Activities shaped exactly as Teams sends them, and a running leadbot.

`running_leadbot(settings)` starts the real aiohttp app (`create_app` with real
Services) on 127.0.0.1 with an ephemeral port. `TeamsClient` posts Activities
to its /api/messages the way the Bot Framework does, with `serviceUrl`
pointing at a `FakeConnector`, and waits for what the bot sends back by
awaiting the connector (never by sleeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from tests.fakes.bot_connector import FakeConnector, FakeIdentity, Sent

BOT_APP_ID = "7d1f3c2a-5b6e-4f70-8a9b-0c1d2e3f4a5b"
BOT_ID = f"28:{BOT_APP_ID}"
BOT_NAME = "leadbot"
_ids = itertools.count(1_700_000_000_000)


def _activity_id() -> str:
    return str(next(_ids))


@dataclass(frozen=True)
class TeamsUser:
    tenant_id: str
    aad_object_id: str
    name: str = "Sam Patel"

    @property
    def teams_id(self) -> str:
        return f"29:1{self.aad_object_id.replace('-', '')[:20]}"

    @property
    def personal_conversation(self) -> str:
        return f"a:1{self.tenant_id[:6]}{self.aad_object_id.replace('-', '')}"

    def account(self) -> dict:
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad_object_id}


@dataclass(frozen=True)
class TeamsChannel:
    tenant_id: str
    team_id: str = "19:Kq3vYh0Wc9c8RkJ1fT0sYw@thread.tacv2"
    channel_id: str = "19:Kq3vYh0Wc9c8RkJ1fT0sYw@thread.tacv2"  # the General channel shares the team's id
    team_name: str = "Housing Services"

    def channel_data(self) -> dict:
        return {
            "teamsChannelId": self.channel_id,
            "teamsTeamId": self.team_id,
            "channel": {"id": self.channel_id},
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "aadGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.team_id)),
            },
            "tenant": {"id": self.tenant_id},
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _base(service_url: str, kind: str) -> dict:
    return {
        "type": kind,
        "id": _activity_id(),
        "timestamp": _now(),
        "localTimestamp": _now().replace("Z", "+00:00"),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "locale": "en-GB",
        "localTimezone": "Europe/London",
        "entities": [
            {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web", "timezone": "Europe/London"}
        ],
    }


def personal_message(service_url: str, user: TeamsUser, text: str) -> dict:
    a = _base(service_url, "message")
    a.update(
        text=text,
        textFormat="plain",
        attachments=[{"contentType": "text/html", "content": f"<p>{text}</p>"}],
        **{"from": user.account()},
        conversation={"conversationType": "personal", "tenantId": user.tenant_id, "id": user.personal_conversation},
        channelData={"tenant": {"id": user.tenant_id}},
    )
    return a


def submit(service_url: str, user: TeamsUser, card_message: Sent, data: dict) -> dict:
    """An Action.Submit pressed on a card the bot sent: a message with `value`, replying to the card."""
    a = _base(service_url, "message")
    conversation = card_message.conversation_id
    personal = conversation.startswith("a:")
    a.update(
        value=data,
        replyToId=card_message.id,
        **{"from": user.account()},
        conversation={"conversationType": "personal", "tenantId": user.tenant_id, "id": conversation}
        if personal
        else {"isGroup": True, "conversationType": "channel", "tenantId": user.tenant_id, "id": conversation},
        channelData={
            "tenant": {"id": user.tenant_id},
            "source": {"name": "message"},
            "legacy": {"replyToId": card_message.id},
        },
    )
    if not personal:
        channel_id = conversation.split(";messageid=")[0]
        a["channelData"].update(teamsChannelId=channel_id, channel={"id": channel_id})
    return a


def channel_mention(service_url: str, user: TeamsUser, channel: TeamsChannel, text: str) -> dict:
    """A new post in a channel that @mentions the bot: the thread's conversation id ends in ;messageid=<its id>."""
    a = _base(service_url, "message")
    mention = f"<at>{BOT_NAME}</at>"
    a.update(
        text=f"{mention} {text}\n",
        textFormat="plain",
        attachments=[
            {
                "contentType": "text/html",
                "content": f'<div><span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">{BOT_NAME}</span> {text}</div>',
            }
        ],
        **{"from": user.account()},
        conversation={
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": user.tenant_id,
            "id": f"{channel.channel_id};messageid={a['id']}",
        },
        channelData=channel.channel_data(),
    )
    a["entities"].insert(0, {"type": "mention", "mentioned": {"id": BOT_ID, "name": BOT_NAME}, "text": mention})
    return a


def installation_update(service_url: str, user: TeamsUser, action: str, channel: TeamsChannel | None = None) -> dict:
    """installationUpdate add/remove, in personal scope (no channel) or in a team."""
    a = _base(service_url, "installationUpdate")
    a["id"] = f"f:{uuid.uuid4().int % 10**19}"
    a.update(action=action, **{"from": user.account()})
    if channel is None:
        a.update(
            conversation={"conversationType": "personal", "tenantId": user.tenant_id, "id": user.personal_conversation},
            channelData={"tenant": {"id": user.tenant_id}, "source": None},
        )
    else:
        data = channel.channel_data()
        data["settings"] = {"selectedChannel": {"id": channel.channel_id}}
        a.update(
            conversation={
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": user.tenant_id,
                "id": channel.channel_id,
            },
            channelData=data,
        )
    return a


def members_changed(
    service_url: str,
    user: TeamsUser,
    added: bool,
    channel: TeamsChannel | None = None,
    members: list[dict] | None = None,
) -> dict:
    """conversationUpdate with the bot (by default) in membersAdded or membersRemoved."""
    a = _base(service_url, "conversationUpdate")
    a["id"] = f"f:{uuid.uuid4().int % 10**19}"
    a[("membersAdded" if added else "membersRemoved")] = members or [{"id": BOT_ID}]
    a["from"] = user.account()
    if channel is None:
        a.update(
            conversation={"conversationType": "personal", "tenantId": user.tenant_id, "id": user.personal_conversation},
            channelData={"tenant": {"id": user.tenant_id}},
        )
    else:
        data = channel.channel_data()
        data["eventType"] = "teamMemberAdded" if added else "teamMemberRemoved"
        a.update(
            conversation={
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": user.tenant_id,
                "id": channel.channel_id,
            },
            channelData=data,
        )
    return a


# --- the running app ------------------------------------------------------------------------


@dataclass
class RunningLeadbot:
    url: str
    app: web.Application
    services: object

    @property
    def runtime(self):
        from bot.teams.mount import TEAMS

        return self.app[TEAMS]

    @property
    def metrics(self):
        from bot.server.app import METRICS

        return self.app[METRICS]

    def counter(self, name: str, **labels) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return value or 0.0

    async def settle(self, timeout: float = 30) -> None:
        """Wait until every acknowledged turn has finished (an event, not a sleep)."""
        await asyncio.wait_for(self.runtime.inflight.drained(), timeout)


@contextlib.asynccontextmanager
async def running_leadbot(settings, identity: FakeIdentity | None = None):
    from bot.server.app import create_app
    from bot.teams.mount import TEAMS
    from tests.fakes.parts import services_for

    services = await services_for(settings)
    app = create_app(services, background=False)
    if identity is not None:
        app[TEAMS].endpoints = identity.endpoints()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield RunningLeadbot(f"http://127.0.0.1:{port}", app, services)
    finally:
        await runner.cleanup()
        await services.close()


class TeamsClient:
    """Posts Activities to the bot as the Bot Framework does, and reads replies from the fake connector."""

    def __init__(self, bot: RunningLeadbot, connector: FakeConnector, identity: FakeIdentity | None = None):
        self.bot = bot
        self.connector = connector
        self.identity = identity
        self.http = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.http.close()

    async def post(
        self, activity: dict | bytes | str, authorization: str | None = None, content_type: str = "application/json"
    ) -> tuple[int, dict | None]:
        headers = {"Content-Type": content_type}
        if authorization is None and self.identity is not None and isinstance(activity, dict):
            authorization = self.identity.channel_token(activity.get("serviceUrl", ""))
        if authorization:
            headers["Authorization"] = authorization
        data = activity if isinstance(activity, (bytes, str)) else json.dumps(activity)
        async with self.http.post(f"{self.bot.url}/api/messages", data=data, headers=headers) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
            return response.status, body

    async def send(self, activity: dict, replies: int = 1, conversation_id: str | None = None) -> list[Sent]:
        """Post an Activity and return the next `replies` messages the bot sent to that conversation."""
        conversation_id = conversation_id or activity["conversation"]["id"]
        before = len(self.connector.messages(conversation_id))
        status, _ = await self.post(activity)
        assert status in (200, 201, 202), status
        await self.wait_messages(conversation_id, before + replies)
        return self.connector.messages(conversation_id)[before:]

    async def wait_messages(self, conversation_id: str, count: int, timeout: float = 15) -> None:
        connector = self.connector

        async def enough() -> None:
            async with connector._changed:
                await connector._changed.wait_for(lambda: len(connector.messages(conversation_id)) >= count)

        await asyncio.wait_for(enough(), timeout)

    async def say(self, user: TeamsUser, text: str, replies: int = 1) -> list[Sent]:
        return await self.send(personal_message(self.connector.service_url, user, text), replies)

    async def press(self, user: TeamsUser, card: Sent, title: str, replies: int = 1) -> list[Sent]:
        return await self.send(submit(self.connector.service_url, user, card, card.action(title)["data"]), replies)
