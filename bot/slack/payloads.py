"""What a Slack request must look like before Bolt or a listener reads it, as pydantic models.

Slack sends Events API envelopes as JSON and commands and interactivity as
forms (interactivity with a JSON `payload`). Each model lists the fields
leadbot or Bolt reads, with the JSON types Slack sends; any other field may
be there and is left alone. A body that does not fit is answered 400 before
anything else happens, so a wrongly typed field is never read as if someone
had typed it, and nothing downstream trips over a shape it did not expect.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Event types leadbot answers: only these have their fields checked. Other event types are
# acknowledged and ignored, and some legitimately carry objects in the same names (team_join's "user").
ANSWERED_EVENTS = frozenset({"message", "app_mention", "app_home_opened"})


# Slack's ids (T0123ABC, U0123ABC, Ev0123ABC, 1700000000.000100, trigger ids...) are short and plain.
# One with a control character (NUL), a lone surrogate or hundreds of characters is no id Slack sends,
# and would fail later, after the ack, in the database or the Web API call: refuse the body instead.
ID_MAX = 128
NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _plain(value: str) -> str:
    if NOT_PLAIN.search(value):
        raise ValueError("an id with a control character or a lone surrogate")
    return value


Id = Annotated[str, Field(max_length=ID_MAX), AfterValidator(_plain)]
Name = Annotated[str, Field(max_length=256), AfterValidator(_plain)]  # a person's display name, kept for "Turned on by"


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Named(_Shape):
    """A user, team, channel or enterprise object: the id we read."""

    id: Id | None = None


class Container(_Shape):
    type: str | None = None
    channel_id: Id | None = None
    message_ts: Id | None = None
    thread_ts: Id | None = None


class Action(_Shape):
    action_id: Id
    type: str | None = None
    value: str | None = None
    block_id: Id | None = None
    action_ts: Id | None = None
    text: dict[str, Any] | None = None


class AnyEvent(_Shape):
    type: str


class AnsweredEvent(AnyEvent):
    user: Id | None = None
    channel: Id | None = None
    text: str | None = None
    ts: Id | None = None
    thread_ts: Id | None = None
    subtype: str | None = None
    channel_type: str | None = None
    tab: str | None = None
    bot_id: Id | None = None
    event_ts: Id | None = None
    team: Id | None = None


class SlackPayload(_Shape):
    """Any body on /slack/events: an event envelope, a slash command form, or an interactivity payload."""

    type: str | None = None
    team_id: Id | None = None
    enterprise_id: Id | None = None
    api_app_id: Id | None = None
    event_id: Id | None = None
    trigger_id: Id | None = None
    response_url: str | None = None
    command: str | None = None
    text: str | None = None
    user_id: Id | None = None
    user_name: Name | None = None
    channel_id: Id | None = None
    user: Named | None = None
    team: Named | None = None
    channel: Named | None = None
    enterprise: Named | None = None
    container: Container | None = None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    actions: list[Action] | None = Field(default=None, min_length=1)
    event: dict[str, Any] | None = None

    @field_validator("event")
    @classmethod
    def _event(cls, event: dict[str, Any] | None) -> dict[str, Any] | None:
        if event is not None and AnyEvent.model_validate(event).type in ANSWERED_EVENTS:
            AnsweredEvent.model_validate(event)
        return event

    @model_validator(mode="after")
    def _envelope_has_its_event(self) -> SlackPayload:
        if self.type == "event_callback" and self.event is None:
            raise ValueError("an event_callback carries an event")
        return self


def readable(body: Any) -> bool:
    """True when the body has the shape Slack sends (see SlackPayload)."""
    try:
        SlackPayload.model_validate(body)
    except ValidationError:
        return False
    return True
