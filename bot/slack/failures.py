"""What a failed Slack Web API call means, as a `bot.delivery.Delivery`.

By the time an error reaches here, slack_sdk's retry handlers (`bot.slack.client`)
have already retried 429, 5xx and refused connections, so a 429 means "still
throttled". Replies, proactive posts and poll updates all map failures here.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.delivery import Delivery

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


def delivery_for(exc: BaseException) -> Delivery:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", None)
        status = status if isinstance(status, int) else None
        code = _error_code(exc)
        if status == 429 or code == "ratelimited":
            return Delivery(outcome="throttled", retry_after=_retry_after(exc), detail="ratelimited", status=status)
        if code in GONE:
            return Delivery(outcome="gone", detail=code, status=status)
        return Delivery(outcome="failed", detail=code or f"http_{status}", status=status)
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
    return code[:64] if isinstance(code, str) else None


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
