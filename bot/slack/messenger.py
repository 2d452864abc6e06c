"""Proactive sending on Slack (`bot.delivery.Messenger`): what the nudge scheduler calls.

`classify` turns whatever the Web API call raised into a `Delivery`, so callers
can pause a channel that is gone, come back later when throttled, and tell a
refusal from a call whose fate is unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import Delivery, Target
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.blocks import render
from bot.slack.client import build_web_client
from dialogs.models import Reply

log = logging.getLogger(__name__)

# The channel, the bot's place in it or the workspace's install is gone: trying again will not help.
GONE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "account_inactive",
        "token_revoked",
        "invalid_auth",
        "not_authed",
        "team_access_not_granted",
        "team_not_found",
        "not_installed",  # ours: no installation for this workspace
    }
)

TokenSource = Callable[[str], Awaitable[str | None]]


def classify(exc: BaseException) -> Delivery:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", None)
        code = _error_code(exc)
        if status == 429 or code == "ratelimited":
            return Delivery(outcome="throttled", retry_after=_retry_after(exc), detail="ratelimited")
        if code in GONE:
            return Delivery(outcome="gone", detail=code)
        return Delivery(outcome="failed", detail=code or f"http_{status}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        # never connected, so nothing was sent: safe to try again
        return Delivery(outcome="failed", detail="connection_failed")
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ClientError, ConnectionError)):
        return Delivery(outcome="unknown", detail=type(exc).__name__)
    return Delivery(outcome="failed", detail=type(exc).__name__)


def _error_code(exc: SlackApiError) -> str | None:
    try:
        code = exc.response.get("error")
    except (AttributeError, TypeError):
        return None
    return code if isinstance(code, str) else None


def _retry_after(exc: SlackApiError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, (list, tuple)) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


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
            return self._failed(target, Delivery(outcome="gone", detail="not_installed"))
        client = build_web_client(self.settings, self.metrics, token=token, session=self.session)
        rendered = render(reply)
        try:
            response = await getattr(client, method)(channel=target.channel_id, text=rendered.text, blocks=rendered.blocks, **extra)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a Delivery the caller can act on
            return self._failed(target, classify(exc))
        return Delivery(outcome="sent", ref=response.get("ts"))

    def _failed(self, target: Target, delivery: Delivery) -> Delivery:
        self.metrics.delivery_failures.labels("slack").inc()
        log.warning(
            "slack delivery failed",
            extra={"workspace": target.workspace_id, "channel": target.channel_id, "outcome": delivery.outcome, "detail": delivery.detail},
        )
        return delivery


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
