"""Run the real leadbot aiohttp app on loopback against the fake Slack Web API, and talk to it as Slack.

`Manager` is one person in one workspace: `await alice.dm("...")` sends a signed
message.im event and returns what leadbot posted back; `await alice.press(msg,
"Why?")` presses a button on a message it posted.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.metrics import Metrics
from bot.server.app import create_app
from bot.services import Services
from bot.settings import Settings
from bot.slack.mount import SLACK
from bot.slack.runtime import SlackRuntime
from tests.fakes import slack_requests as rq
from tests.fakes.parts import services_for
from tests.fakes.slack_api import Call, FakeSlackApi, Workspace

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-for-tests"


def slack_settings(
    database_url: str, fake: FakeSlackApi, cache_dir: Path, token: str | None = None, oauth: bool = False, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "cache_dir": cache_dir,
        "log_level": "WARNING",
    }
    if token:
        values["slack_bot_token"] = token
    if oauth:
        values["slack_client_id"] = CLIENT_ID
        values["slack_client_secret"] = CLIENT_SECRET
        fake.client_id, fake.client_secret = CLIENT_ID, CLIENT_SECRET
    values.update(extra)
    return Settings(_env_file=None, **values)


@dataclass
class Leadbot:
    url: str
    app: web.Application
    services: Services
    metrics: Metrics
    runner: web.AppRunner

    @property
    def runtime(self) -> SlackRuntime:
        return self.app[SLACK]

    async def settle(self, timeout: float = 15) -> None:
        """Wait until every acknowledged turn has finished sending."""
        await asyncio.wait_for(self.runtime.inflight.drained(), timeout)

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.services.close()


async def start_leadbot(settings: Settings, socket_mode: bool = False) -> Leadbot:
    services = await services_for(settings)
    metrics = Metrics()
    app = create_app(services, metrics, background=False, socket_mode=socket_mode)
    runner = web.AppRunner(app, access_log=None)
    try:
        await runner.setup()
    except BaseException:
        await runner.cleanup()
        await services.close()
        raise
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Leadbot(f"http://127.0.0.1:{port}", app, services, metrics, runner)


@dataclass
class Manager:
    """One person in one Slack workspace, talking to leadbot through signed requests."""

    slack: rq.SlackSender
    fake: FakeSlackApi
    bots: list[Leadbot]
    workspace: Workspace
    user: str = "U0ALICE"
    dm_channel: str = "D0ALICE"
    pressed: int = field(default=0)
    name: str = "alice"  # what Slack sends as the person's name with a slash command

    @property
    def team(self) -> str:
        return self.workspace.team_id

    async def settle(self) -> None:
        for bot in self.bots:
            await bot.settle()

    def posts(self, channel: str | None = None) -> list[Call]:
        return [
            c for c in self.fake.of("chat.postMessage", channel=channel or self.dm_channel) if c.team_id == self.team
        ]

    def responses(self, name: str) -> list[Call]:
        return self.fake.of("respond", _name=name)

    async def _new_posts(self, send, channel: str) -> list[Call]:
        before = len(self.posts(channel))
        resp = await send()
        assert resp.status == 200, resp.status
        await self.settle()
        return self.posts(channel)[before:]

    async def dm(self, text: str, **extra: Any) -> Call:
        """Send a DM; return the (last) message leadbot posted back."""
        posts = await self.dm_all(text, **extra)
        assert posts, "leadbot did not answer the DM"
        return posts[-1]

    async def dm_all(self, text: str, event_id: str | None = None, **extra: Any) -> list[Call]:
        event = rq.dm_event(self.team, self.user, self.dm_channel, text, **extra)
        envelope = rq.event_envelope(self.team, event, self.workspace.bot_user_id, event_id)
        return await self._new_posts(lambda: self.slack.event(envelope), self.dm_channel)

    async def mention(self, channel: str, text: str) -> Call:
        event = rq.mention_event(self.team, self.user, channel, text, self.workspace.bot_user_id)
        posts = await self._new_posts(
            lambda: self.slack.event(rq.event_envelope(self.team, event, self.workspace.bot_user_id)), channel
        )
        assert posts, "leadbot did not answer the mention"
        return posts[-1]

    async def press(self, message: Call, label: str, channel: str | None = None) -> list[Call]:
        """Press a button on a message leadbot posted; return what it posted next in that channel."""
        channel = channel or message.args["channel"]
        payload = rq.block_actions(
            self.team,
            self.user,
            channel,
            message.button(label),
            self.fake.response_url(f"press-{self.team}-{self.user}"),
            message=rq.message_of(message),
            thread_ts=message.args.get("thread_ts"),
        )
        return await self._new_posts(lambda: self.slack.interaction(payload), channel)

    async def command(self, text: str, channel: str = "C0LEADS", name: str | None = None) -> list[Call]:
        """/leadbot <text> in a channel; return the ephemeral answers sent to its response_url."""
        name = name or f"cmd-{self.team}-{self.user}-{self.pressed}"
        self.pressed += 1
        form = rq.slash_form(self.team, self.user, channel, text, self.fake.response_url(name), user_name=self.name)
        resp = await self.slack.command(form)
        assert resp.status == 200, resp.status
        await self.settle()
        return self.responses(name)


class SlackWorld:
    """The fake Slack, one or more leadbot instances, and an HTTP session to talk to them."""

    def __init__(self) -> None:
        self.fake = FakeSlackApi()
        self.bots: list[Leadbot] = []
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> SlackWorld:
        await self.fake.start()
        self.session = aiohttp.ClientSession()
        return self

    async def add_leadbot(self, settings: Settings, socket_mode: bool = False) -> Leadbot:
        bot = await start_leadbot(settings, socket_mode=socket_mode)
        self.bots.append(bot)
        return bot

    def sender(self, bot: Leadbot | None = None) -> rq.SlackSender:
        assert self.session is not None
        return rq.SlackSender(self.session, (bot or self.bots[0]).url, SECRET)

    def manager(
        self,
        workspace: Workspace,
        user: str = "U0ALICE",
        dm_channel: str = "D0ALICE",
        bot: Leadbot | None = None,
        name: str = "alice",
    ) -> Manager:
        return Manager(self.sender(bot), self.fake, list(self.bots), workspace, user, dm_channel, name=name)

    async def stop(self) -> None:
        for bot in self.bots:
            await bot.stop()
        if self.session is not None:
            await self.session.close()
        await self.fake.stop()


# --- fixtures (import them into a test module to use them) -------------------------

import pytest  # noqa: E402

T1_TOKEN = "xoxb-T1-single-workspace"


@pytest.fixture
async def world():
    w = await SlackWorld().start()
    yield w
    await w.stop()


@pytest.fixture
async def workspace(world) -> Workspace:
    return world.fake.add_workspace("T0ONE", T1_TOKEN, bot_user_id="U0BOT1", bot_id="B0BOT1")


@pytest.fixture
async def leadbot(world, workspace, tmp_path, cache_dir) -> Leadbot:
    """leadbot for one workspace (bot token + signing secret) on a fresh SQLite file."""
    return await world.add_leadbot(
        slack_settings(f"sqlite+aiosqlite:///{tmp_path / 'slack.db'}", world.fake, cache_dir, token=T1_TOKEN)
    )


@pytest.fixture
def alice(world, workspace, leadbot) -> Manager:
    return world.manager(workspace)
