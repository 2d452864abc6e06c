"""Proactive sending on Slack (`bot.delivery.Messenger`): the weekly nudges and their poll counts.

Whatever a call raises becomes a `Delivery` (`bot.slack.failures`), so the
fan-out can pause a channel that is gone, come back later when throttled, and
tell a refusal from a call whose fate is unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import Delivery, Target, report_undelivered
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.blocks import render
from bot.slack.client import build_web_client
from bot.slack.failures import delivery_for
from dialogs.models import Reply

TokenSource = Callable[[str], Awaitable[str | None]]


class SlackMessenger:
    """Post or update a Reply in a channel, with the bot token of the target's workspace."""

    platform = "slack"

    def __init__(self, settings: Settings, metrics: Metrics, tokens: TokenSource, session: aiohttp.ClientSession | None = None):
        self.settings = settings
        self.metrics = metrics
        self.tokens = tokens
        self.session = session

    async def post(self, target: Target, reply: Reply) -> Delivery:
        return await self._call(target, "chat_postMessage", reply)

    async def update(self, target: Target, ref: str, reply: Reply) -> Delivery:
        return await self._call(target, "chat_update", reply, ts=ref)

    async def _call(self, target: Target, method: str, reply: Reply, **extra) -> Delivery:
        token = await self.tokens(target.workspace_id)
        if not token:
            return self._failed(target, method, Delivery(outcome="gone", detail="not_installed"))
        client = build_web_client(self.settings, self.metrics, token=token, session=self.session)
        rendered = render(reply)
        try:
            response = await getattr(client, method)(channel=target.channel_id, text=rendered.text, blocks=rendered.blocks, **extra)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a Delivery the caller can act on
            return self._failed(target, method, delivery_for(exc))
        return Delivery(outcome="sent", ref=response.get("ts"))

    def _failed(self, target: Target, method: str, delivery: Delivery) -> Delivery:
        return report_undelivered(self.metrics, "slack", method.replace("_", "."), delivery, workspace=target.workspace_id, channel=target.channel_id)


def build_messenger(settings: Settings, engine: AsyncEngine, metrics: Metrics, session: aiohttp.ClientSession | None = None) -> SlackMessenger:
    """The Messenger for this deployment: the installation store's tokens with OAuth, else SLACK_BOT_TOKEN."""
    if settings.slack_oauth:
        from bot.slack.installation import installation_store

        return SlackMessenger(settings, metrics, installation_store(settings, engine).bot_token_for, session)
    return SlackMessenger(settings, metrics, single_workspace_tokens(settings), session)


def single_workspace_tokens(settings: Settings) -> TokenSource:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None

    async def lookup(_workspace_id: str) -> str | None:
        return token

    return lookup
