"""What Slack sends to a Request URL, signed exactly as Slack signs it.

Signature: "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{raw body}" keyed with the
signing secret, in X-Slack-Signature, with X-Slack-Request-Timestamp. Bodies:
Events API envelopes as JSON; slash commands form-encoded; interactivity
form-encoded with the JSON in `payload`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.fakes.slack_api import APP_ID, Call

_seq = itertools.count(1)


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: str, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(secret, ts, body),
    }


def _ts() -> str:
    return f"{int(time.time())}.{next(_seq):06d}"


# --- payloads -------------------------------------------------------------------


def event_envelope(
    team_id: str, event: dict[str, Any], bot_user_id: str, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex,
    }


def dm_event(team_id: str, user: str, channel: str, text: str, **extra: Any) -> dict[str, Any]:
    ts = _ts()
    event = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": [
            {
                "type": "rich_text",
                "block_id": "b1",
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ],
        "team": team_id,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im",
    }
    event.update(extra)
    return event


def mention_event(team_id: str, user: str, channel: str, text: str, bot_user_id: str, **extra: Any) -> dict[str, Any]:
    ts = _ts()
    event = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": f"<@{bot_user_id}> {text}",
        "user": user,
        "ts": ts,
        "team": team_id,
        "channel": channel,
        "event_ts": ts,
    }
    event.update(extra)
    return event


def home_opened_event(user: str, channel: str = "D0HOME", tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": channel, "tab": tab, "event_ts": _ts()}


def slash_form(
    team_id: str,
    user: str,
    channel: str,
    text: str,
    response_url: str,
    command: str = "/leadbot",
    user_name: str = "alice",
) -> dict[str, str]:
    """A slash command as Slack posts it: a form, with the person's id and their name."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": team_id.lower(),
        "channel_id": channel,
        "channel_name": "team-leads",
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_seq)}.{int(time.time())}.{uuid.uuid4().hex[:16]}",
    }


def block_actions(
    team_id: str,
    user: str,
    channel: str,
    button: dict[str, Any],
    response_url: str,
    message: dict[str, Any] | None = None,
    ephemeral: bool = False,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A button press on a message the bot posted (message=None and ephemeral=True for an ephemeral one)."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": (message or {}).get("ts", _ts()),
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "alice", "name": "alice", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": f"{next(_seq)}.{int(time.time())}.{uuid.uuid4().hex[:16]}",
        "team": {"id": team_id, "domain": team_id.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "team-leads"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": button.get("action_id"),
                "block_id": "blk" + uuid.uuid4().hex[:6],
                "text": button.get("text", {"type": "plain_text", "text": "?", "emoji": True}),
                "value": button.get("value"),
                "type": "button",
                "action_ts": _ts(),
                **({"style": button["style"]} if "style" in button else {}),
            }
        ],
    }
    if message is not None:
        payload["message"] = message
    return payload


def home_block_actions(team_id: str, user: str, button: dict[str, Any]) -> dict[str, Any]:
    payload = block_actions(team_id, user, "D0HOME", button, "")
    payload["container"] = {"type": "view", "view_id": "V0HOME"}
    payload["view"] = {"id": "V0HOME", "type": "home", "blocks": []}
    for k in ("channel", "response_url"):
        payload.pop(k)
    return payload


def message_of(call: Call) -> dict[str, Any]:
    """A chat.postMessage the bot made, as Slack includes it in a block_actions payload."""
    return dict(call.args["_message"])


# --- sending --------------------------------------------------------------------


class SlackSender:
    """Slack's side of the Request URL: signs and posts payloads to leadbot."""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str):
        self.session = session
        self.url = url.rstrip("/") + "/slack/events"
        self.secret = secret

    async def post_raw(
        self, body: str, content_type: str, headers: dict[str, str] | None = None, timestamp: int | None = None
    ) -> aiohttp.ClientResponse:
        h = signed_headers(self.secret, body, content_type, timestamp)
        h.update(headers or {})
        async with self.session.post(self.url, data=body.encode(), headers=h) as resp:
            await resp.read()
            return resp

    async def event(self, envelope: dict[str, Any], retry_num: int | None = None, **kw: Any) -> aiohttp.ClientResponse:
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        return await self.post_raw(json.dumps(envelope), "application/json", headers=headers, **kw)

    async def command(self, form: dict[str, str], **kw: Any) -> aiohttp.ClientResponse:
        return await self.post_raw(urlencode(form), "application/x-www-form-urlencoded", **kw)

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> aiohttp.ClientResponse:
        return await self.post_raw(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw
        )
