"""A Teams Activity, read once: its shape checked, where it came from, and what it says as an `Inbound`.

`read(body)` validates the JSON the Bot Framework posted against `WireActivity`
(the fields leadbot reads, with the JSON types Teams sends; a wrongly typed
field is a 400, never read as if someone had typed it) and works out
everything the turn needs from it in one pass: an `Arrival`. The SDK still
deserialises the same body into its own Activity to authenticate and address
replies; nothing of ours reads that one again.

channelData and value are whatever the sender put there, so every lookup in
them is defensive and nothing raises for odd shapes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from botbuilder.schema import ActivityTypes, ChannelAccount, ConversationAccount, ConversationReference
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialogs.models import ChoicePress, ConversationKey, Inbound, Surface

Scope = Literal["personal", "channel", "groupChat"]
LOCAL_TENANT = "local"  # the Bot Framework Emulator sends no tenant; Teams always does
MENTION_TAG = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]{1,200}>")


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)


class Account(_Shape):
    id: str | None = None
    name: str | None = None
    aadObjectId: str | None = None  # noqa: N815 - the Bot Framework's own field name


class Conversation(_Shape):
    id: str | None = None
    tenantId: str | None = None  # noqa: N815
    conversationType: str | None = None  # noqa: N815
    isGroup: bool | None = None  # noqa: N815


class WireActivity(_Shape):
    """The fields of an Activity that we read, with the JSON types Teams sends.

    msrest's deserializer is lenient: it turns `"text": 5` into "5" and `"text": {}` into "{}",
    so a wrongly typed field would be answered as if someone had typed it. `value` (what a card
    submitted) and `channelData` stay free-form; they are read defensively.
    """

    type: str | None = None
    id: str | None = None
    channelId: str | None = None  # noqa: N815
    serviceUrl: str | None = None  # noqa: N815
    text: str | None = None
    textFormat: str | None = None  # noqa: N815
    locale: str | None = None
    replyToId: str | None = None  # noqa: N815
    action: str | None = None
    name: str | None = None
    from_: Account | None = Field(default=None, alias="from")
    recipient: Account | None = None
    conversation: Conversation | None = None
    entities: list[dict] | None = None
    attachments: list[dict] | None = None
    membersAdded: list[Account] | None = None  # noqa: N815
    membersRemoved: list[Account] | None = None  # noqa: N815
    value: Any = None
    channelData: Any = None  # noqa: N815


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
        user = self.user_id or "unknown"
        return ConversationKey(
            platform="teams", workspace_id=self.tenant_id, user_id=user, conversation_id=self.conversation_id
        )


class Submit(BaseModel):
    """The `data` of an Action.Submit we rendered (see bot.teams.cards)."""

    leadbot: Literal["choice", "private"]
    value: str = Field(default="", max_length=200)
    token: str | None = Field(default=None, max_length=64)


@dataclass(frozen=True)
class Arrival:
    """Everything leadbot reads from one Activity, worked out once on the way in."""

    wire: WireActivity
    place: Place | None  # None: it lacks what Teams always sends (a tenant, a conversation)
    inbound: Inbound | None  # a message that is a dialog turn; None for anything else
    private: bool  # the "continue in a private chat" button
    surface: str  # for the request metrics: dm, mention, button, install, invoke, events
    event_type: str | None  # channelData.eventType of a conversationUpdate (channelDeleted, teamDeleted...)


ARRIVAL = "leadbot.arrival"  # where `LeadbotTeamsBot.run` keeps the Arrival in the TurnContext's turn_state


def arrival_of(context: Any) -> Arrival:
    """The Arrival of the activity a TurnContext is handling."""
    return context.turn_state[ARRIVAL]


class NotAnActivity(ValueError):
    """The body cannot be processed; the message says why, for the 400."""


def read(body: object) -> Arrival:
    """Check and read a posted Activity once; NotAnActivity says why it cannot be processed."""
    if not isinstance(body, dict):
        raise NotAnActivity("body is not an Activity")
    try:
        wire = WireActivity.model_validate(body)
    except ValidationError:
        raise NotAnActivity("body is not an Activity") from None
    problem = problem_with(wire)
    if problem:
        raise NotAnActivity(problem)
    place = place_of(wire)
    submit = submit_of(wire.value) if wire.value is not None else None
    private = wire.type == ActivityTypes.message and submit is not None and submit.leadbot == "private"
    inbound = None
    if wire.type == ActivityTypes.message and place is not None and place.user_id is not None and not private:
        inbound = to_inbound(wire, place, submit)
    data = _dict(wire.channelData)
    return Arrival(wire, place, inbound, private, surface_of(wire), _str(data.get("eventType")))


def problem_with(wire: WireActivity) -> str | None:
    """Why this Activity cannot be processed, or None."""
    if not wire.type:
        return "activity has no type"
    if wire.conversation is None or not wire.conversation.id:
        return "activity has no conversation"
    if not wire.channelId:
        return "activity has no channelId"
    url = urlparse(wire.serviceUrl or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        return "activity has no http(s) serviceUrl"
    if wire.type == ActivityTypes.message and (wire.from_ is None or not wire.from_.id):
        return "message has no sender"
    return None


def surface_of(wire: WireActivity) -> str:
    if wire.type == ActivityTypes.message:
        if wire.value is not None:
            return "button"
        return (
            "dm"
            if ((wire.conversation and wire.conversation.conversationType) or "personal") == "personal"
            else "mention"
        )
    if wire.type in (ActivityTypes.conversation_update, ActivityTypes.installation_update):
        return "install"
    if wire.type == ActivityTypes.invoke:
        return "invoke"
    return "events"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def place_of(wire: WireActivity) -> Place | None:
    """The tenant, scope and ids of an activity, or None when it lacks what Teams always sends."""
    conv = wire.conversation
    if conv is None or not _str(conv.id):
        return None
    data = _dict(wire.channelData)
    tenant = _str(_dict(data.get("tenant")).get("id")) or _str(conv.tenantId)
    if tenant is None:
        if wire.channelId == "msteams":
            return None
        tenant = LOCAL_TENANT
    kind = conv.conversationType
    scope: Scope = (
        kind if kind in ("personal", "channel", "groupChat") else ("groupChat" if conv.isGroup else "personal")
    )
    team_id = _str(_dict(data.get("team")).get("id")) or _str(data.get("teamsTeamId"))
    home = conv.id
    if scope == "channel":
        channel = _str(_dict(data.get("channel")).get("id")) or _str(data.get("teamsChannelId"))
        home = channel or conv.id.split(";messageid=", 1)[0]
    sender = wire.from_
    user = (_str(sender.aadObjectId) or _str(sender.id)) if sender is not None else None
    too_long = len(tenant) > 128 or len(conv.id) > 256 or len(home) > 256
    if too_long or (user and len(user) > 128) or (team_id and len(team_id) > 256):
        return None
    return Place(tenant, scope, conv.id, home, team_id, user)


def submit_of(value: Any) -> Submit | None:
    """Our Action.Submit payload, or None for anything we never sent."""
    try:
        return Submit.model_validate(value)
    except ValidationError:
        return None


def message_text(wire: WireActivity) -> str:
    """The text a person typed, without the @mention of the bot or Teams' markup.

    The bot's own mention is removed using the mention entities, as
    `TurnContext.remove_recipient_mention` does, but by plain string replacement:
    the SDK compiles the mention text into a regular expression, so a name with
    "(" or "+" in it breaks, and a hostile one can make it backtrack for minutes.
    Other people's mentions keep their names ("<at>Sam</at>" becomes "Sam").
    """
    text = wire.text or ""
    bot_id = wire.recipient.id if wire.recipient is not None else None
    for entity in wire.entities or []:
        if entity.get("type") != "mention" or _dict(entity.get("mentioned")).get("id") != bot_id:
            continue
        tag = _str(entity.get("text"))
        if tag:
            text = text.replace(tag, " ")
    text = MENTION_TAG.sub(lambda m: TAG.sub("", m.group(0)), text)
    text = TAG.sub(" ", text)
    return " ".join(html.unescape(text).split())


def to_inbound(wire: WireActivity, place: Place, submit: Submit | None = None) -> Inbound:
    """A message activity as an Inbound: a card's button press, or what was typed."""
    event_id = _str(wire.id)
    fields: dict[str, Any] = {
        "key": place.key(),
        "event_id": event_id[:200] if event_id else None,
        "in_channel": place.scope != "personal",
        "user_name": _str(wire.from_.name) if wire.from_ is not None else None,
        "locale": (_str(wire.locale) or "")[:32] or None,  # "cy-GB" when the person's Teams is in Welsh
    }
    if wire.value is not None:
        # A payload we never sent still gets an answer: the dialog treats it as a stale press.
        press = ChoicePress(value=submit.value, token=submit.token) if submit else ChoicePress(value="", token=None)
        return Inbound(surface="button", choice=press, message_ref=_str(wire.replyToId), **fields)
    surface: Surface = "dm" if place.scope == "personal" else "mention"
    return Inbound(surface=surface, text=message_text(wire), **fields)


def reference_for(wire: WireActivity, place: Place) -> ConversationReference:
    """What a proactive send needs to reach this chat or channel: ids and the service URL, no names."""
    bot, sender = wire.recipient, wire.from_
    user = None
    if place.scope == "personal" and sender is not None:
        user = ChannelAccount(id=sender.id, aad_object_id=sender.aadObjectId)
    conversation = ConversationAccount(
        id=place.home_id, conversation_type=place.scope, tenant_id=place.tenant_id, is_group=place.scope != "personal"
    )
    return ConversationReference(
        channel_id=wire.channelId,
        service_url=wire.serviceUrl,
        conversation=conversation,
        bot=ChannelAccount(id=bot.id) if bot is not None else None,
        user=user,
    )
