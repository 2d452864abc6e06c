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
from bot.slack.client import build_web_client, retry_handlers
from bot.slack.failures import delivery_for
from dialogs.models import Reply

TokenSource = Callable[[str], Awaitable[str | None]]


class SlackMessenger:
    """Post or update a Reply in a channel, with the bot token of the target's workspace."""

    platform = "slack"

    def __init__(
        self, settings: Settings, metrics: Metrics, tokens: TokenSource, session: aiohttp.ClientSession | None = None
    ):
        self.settings = settings
        self.metrics = metrics
        self.tokens = tokens
        self.session = session
        # One client per token and kind, not one per call. Posts (the nudges) leave a 429 to the
        # fan-out, which then holds every post to that workspace for the Retry-After; the slack_sdk
        # client retrying it inside one call hid it, and the rest of the workspace went on posting.
        self._clients: dict[tuple[str, bool], object] = {}

    async def post(self, target: Target, reply: Reply) -> Delivery:
        return await self._call(target, "chat_postMessage", reply, rate_limits=False)

    async def update(self, target: Target, ref: str, reply: Reply) -> Delivery:
        return await self._call(target, "chat_update", reply, ts=ref)

    def _client(self, token: str, rate_limits: bool):
        client = self._clients.get((token, rate_limits))
        if client is None:
            if len(self._clients) > 1000:  # tokens of uninstalled workspaces do not pile up for ever
                self._clients.clear()
            client = build_web_client(
                self.settings,
                self.metrics,
                token=token,
                session=self.session,
                handlers=retry_handlers(self.metrics, rate_limits=rate_limits),
            )
            self._clients[(token, rate_limits)] = client
        return client

    async def _call(self, target: Target, method: str, reply: Reply, rate_limits: bool = True, **extra) -> Delivery:
        token = await self.tokens(target.workspace_id)
        if not token:
            return self._failed(target, method, Delivery(outcome="gone", detail="not_installed"))
        client = self._client(token, rate_limits)
        rendered = render(reply)
        try:
            response = await getattr(client, method)(
                channel=target.channel_id, text=rendered.text, blocks=rendered.blocks, **extra
            )
        except Exception as exc:
            return self._failed(target, method, delivery_for(exc))
        return Delivery(outcome="sent", ref=response.get("ts"))

    def _failed(self, target: Target, method: str, delivery: Delivery) -> Delivery:
        return report_undelivered(
            self.metrics,
            "slack",
            method.replace("_", "."),
            delivery,
            workspace=target.workspace_id,
            channel=target.channel_id,
        )


def build_messenger(
    settings: Settings, engine: AsyncEngine, metrics: Metrics, session: aiohttp.ClientSession | None = None
) -> SlackMessenger:
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
