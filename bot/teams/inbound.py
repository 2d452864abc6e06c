"""Turn a Teams Activity into an `Inbound` (and say where it came from).

Everything here reads untrusted input: channelData and value are whatever the
sender put there, so every lookup is defensive and nothing raises for odd shapes.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from pydantic import BaseModel, Field, ValidationError

from dialogs.models import ChoicePress, ConversationKey, Inbound

log = logging.getLogger(__name__)

Scope = Literal["personal", "channel", "groupChat"]
LOCAL_TENANT = "local"  # the Bot Framework Emulator sends no tenant; Teams always does
MENTION_TAG = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]{1,200}>")


@dataclass(frozen=True)
class Place:
    """Where an Activity happened, in the terms our storage uses."""

    tenant_id: str
    scope: Scope
    conversation_id: str  # as on the activity: a channel thread keeps its ";messageid=..."
    home_id: str  # the chat or channel itself: what a conversation reference is stored under
    team_id: str | None
    user_id: str | None  # AAD object id, or the Teams user id when there is none

    def key(self) -> ConversationKey:
        return ConversationKey(platform="teams", workspace_id=self.tenant_id, user_id=self.user_id or "unknown", conversation_id=self.conversation_id)


class Submit(BaseModel):
    """The `data` of an Action.Submit we rendered (see bot.teams.cards)."""

    leadbot: Literal["choice", "private"]
    value: str = Field(default="", max_length=200)
    token: str | None = Field(default=None, max_length=64)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def place_of(activity: Activity) -> Place | None:
    """The tenant, scope and ids of an activity, or None when it lacks what Teams always sends."""
    conv = activity.conversation
    if conv is None or not _str(conv.id):
        return None
    data = _dict(activity.channel_data)
    tenant = _str(_dict(data.get("tenant")).get("id")) or _str(conv.tenant_id)
    if tenant is None:
        if activity.channel_id == "msteams":
            return None
        tenant = LOCAL_TENANT
    kind = conv.conversation_type
    scope: Scope = kind if kind in ("personal", "channel", "groupChat") else ("groupChat" if conv.is_group else "personal")
    team_id = _str(_dict(data.get("team")).get("id")) or _str(data.get("teamsTeamId"))
    home = conv.id
    if scope == "channel":
        home = _str(_dict(data.get("channel")).get("id")) or _str(data.get("teamsChannelId")) or conv.id.split(";messageid=", 1)[0]
    sender = activity.from_property
    user = None
    if sender is not None:
        user = _str(sender.aad_object_id) or _str(sender.id)
    if len(tenant) > 128 or len(conv.id) > 256 or len(home) > 256 or (user and len(user) > 128) or (team_id and len(team_id) > 256):
        return None
    return Place(tenant, scope, conv.id, home, team_id, user)


def submit_of(value: Any) -> Submit | None:
    """Our Action.Submit payload, or None for anything we never sent."""
    try:
        return Submit.model_validate(value)
    except ValidationError:
        return None


def message_text(activity: Activity) -> str:
    """The text a person typed, without the @mention of the bot or Teams' markup.

    The bot's own mention is removed using the mention entities, as
    `TurnContext.remove_recipient_mention` does, but by plain string replacement:
    the SDK compiles the mention text into a regular expression, so a name with
    "(" or "+" in it breaks, and a hostile one can make it backtrack for minutes.
    Other people's mentions keep their names ("<at>Sam</at>" becomes "Sam").
    """
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    for entity in activity.entities or []:
        extra = getattr(entity, "additional_properties", None) or {}
        if getattr(entity, "type", None) != "mention" or _dict(extra.get("mentioned")).get("id") != bot_id:
            continue
        tag = _str(extra.get("text"))
        if tag:
            text = text.replace(tag, " ")
    text = MENTION_TAG.sub(lambda m: TAG.sub("", m.group(0)), text)
    text = TAG.sub(" ", text)
    return " ".join(html.unescape(text).split())


def to_inbound(activity: Activity, place: Place) -> Inbound | None:
    """A message activity as an Inbound; None for "continue privately", which is not a dialog turn."""
    surface_base = "dm" if place.scope == "personal" else "mention"
    event_id = _str(activity.id)
    event_id = event_id[:200] if event_id else None
    if activity.value is not None:
        submit = submit_of(activity.value)
        if submit is not None and submit.leadbot == "private":
            return None
        # A payload we never sent still gets an answer: the dialog treats it as a stale press.
        press = ChoicePress(value=submit.value, token=submit.token) if submit else ChoicePress(value="", token=None)
        return Inbound(key=place.key(), surface="button", choice=press, event_id=event_id)
    return Inbound(key=place.key(), surface=surface_base, text=message_text(activity), event_id=event_id)


def wants_private(activity: Activity) -> bool:
    submit = submit_of(activity.value) if activity.value is not None else None
    return submit is not None and submit.leadbot == "private"


def reference_for(activity: Activity, place: Place) -> ConversationReference:
    """What a proactive send needs to reach this chat or channel: ids and the service URL, no names."""
    bot = activity.recipient
    sender = activity.from_property
    user = None
    if place.scope == "personal" and sender is not None:
        user = ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id)
    return ConversationReference(
        channel_id=activity.channel_id,
        service_url=activity.service_url,
        conversation=ConversationAccount(
            id=place.home_id, conversation_type=place.scope, tenant_id=place.tenant_id, is_group=place.scope != "personal"
        ),
        bot=ChannelAccount(id=bot.id) if bot is not None else None,
        user=user,
    )
