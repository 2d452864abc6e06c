"""Slack payloads -> `Inbound`. Pure functions over the dicts Slack sends; nothing here does I/O.

A conversation is keyed by (slack, workspace, user, channel): the DM's id for
direct messages, the channel's id for mentions and slash commands.
"""

from __future__ import annotations

import html
import re
from typing import Any

from pydantic import ValidationError

from dialogs.models import ChoicePress, ConversationKey, Inbound, Surface

# Message subtypes that are a person writing to us; every other subtype (edits, deletions,
# joins, bot posts...) is not a new message and is never answered.
ANSWERED_SUBTYPES = {None, "file_share", "thread_broadcast"}

USER_MENTION = re.compile(r"<@[UWB][A-Z0-9]+(?:\|[^>]*)?>")
CHANNEL_LINK = re.compile(r"<#[CGD][A-Z0-9]+(?:\|([^>]*))?>")
SPECIAL = re.compile(r"<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")


def workspace_of(context: Any, body: dict[str, Any]) -> str | None:
    """The Slack team (or, for an org-wide install with no team, the organisation)."""
    team = getattr(context, "team_id", None) or body.get("team_id")
    if not team and isinstance(body.get("team"), dict):
        team = body["team"].get("id")
    return team or getattr(context, "enterprise_id", None)


def plain_text(text: str) -> str:
    """What the person typed, without Slack's markup: mentions dropped, links as their labels."""
    text = USER_MENTION.sub(" ", text)
    text = CHANNEL_LINK.sub(lambda m: f"#{m.group(1)}" if m.group(1) else "", text)
    text = SPECIAL.sub(lambda m: m.group(1) or "", text)
    text = LINK.sub(lambda m: m.group(2) or m.group(1), text)
    # Slack escapes only &, < and > in message text
    return html.unescape(text).strip()


def is_from_a_bot(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return bool(
        event.get("bot_id")
        or event.get("bot_profile")
        or event.get("subtype") == "bot_message"
        or (bot_user_id and event.get("user") == bot_user_id)
    )


def is_answerable_dm(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A new message a person wrote to us in a DM: not an edit, a deletion, a bot, or us."""
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") in ANSWERED_SUBTYPES
        and not event.get("hidden")
        and isinstance(event.get("user"), str)
        and isinstance(event.get("channel"), str)
        and not is_from_a_bot(event, bot_user_id)
    )


def is_answerable_mention(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return (
        event.get("subtype") in ANSWERED_SUBTYPES
        and isinstance(event.get("user"), str)
        and isinstance(event.get("channel"), str)
        and not is_from_a_bot(event, bot_user_id)
    )


def key(workspace: str | None, user: object, channel: object) -> ConversationKey | None:
    try:
        return ConversationKey(platform="slack", workspace_id=workspace or "", user_id=user, conversation_id=channel)  # type: ignore[arg-type]
    except ValidationError:
        return None


def is_dm(channel: str) -> bool:
    """Slack's direct-message channel ids start with D; channels and group DMs are seen by others."""
    return channel.startswith("D")


def _inbound(k: ConversationKey | None, surface: Surface, event_id: object, **fields: Any) -> Inbound | None:
    if k is None:
        return None
    eid = event_id if isinstance(event_id, str) and event_id else None
    return Inbound(key=k, surface=surface, event_id=eid, in_channel=not is_dm(k.conversation_id), **fields)


def _name(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def message_inbound(
    body: dict[str, Any], event: dict[str, Any], workspace: str | None, surface: Surface
) -> Inbound | None:
    """A DM (surface "dm") or an @mention (surface "mention"). event_id makes Slack's retries harmless.

    Slack's message events carry the sender's id but not their name (that would take the
    users:read scope and a call per message), so these Inbounds have no user_name."""
    raw = event.get("text")
    text = plain_text(raw) if isinstance(raw, str) else ""
    return _inbound(key(workspace, event.get("user"), event.get("channel")), surface, body.get("event_id"), text=text)


def slash_inbound(command: dict[str, Any], workspace: str | None) -> Inbound | None:
    """`/leadbot <problem>`; `/leadbot` alone means help. Keyed by the channel it was typed in,
    with the name Slack sends with every command (for "Turned on by ..." on a channel's nudges)."""
    raw = command.get("text")
    text = plain_text(raw) if isinstance(raw, str) else ""
    k = key(workspace, command.get("user_id"), command.get("channel_id"))
    return _inbound(
        k, "slash", command.get("trigger_id"), text=text or "help", user_name=_name(command.get("user_name"))
    )


def press_channel(body: dict[str, Any]) -> str | None:
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    channel = container.get("channel_id")
    if not channel and isinstance(body.get("channel"), dict):
        channel = body["channel"].get("id")
    return channel if isinstance(channel, str) else None


def press_user(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    uid = user.get("id") if isinstance(user, dict) else None
    return uid if isinstance(uid, str) else None


def press_inbound(body: dict[str, Any], workspace: str | None, token: str | None, value: str) -> Inbound | None:
    """A button press. Each press has its own trigger_id: a repeated delivery is answered once."""
    choice = ChoicePress(value=value[:200], token=token[:64] if token else None)
    event_id = body.get("trigger_id") or _action_ts(body)
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    ref = container.get("message_ts") if isinstance(container.get("message_ts"), str) else None
    return _inbound(
        key(workspace, press_user(body), press_channel(body)), "button", event_id, choice=choice, message_ref=ref
    )


def _action_ts(body: dict[str, Any]) -> str | None:
    acts = body.get("actions")
    if isinstance(acts, list) and acts and isinstance(acts[0], dict):
        ts = acts[0].get("action_ts")
        return f"action:{ts}" if isinstance(ts, str) else None
    return None
