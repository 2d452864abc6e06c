"""What a Slack request must look like before Bolt or a listener reads it, as pydantic models.

Slack sends Events API envelopes as JSON and commands and interactivity as
forms (interactivity with a JSON `payload`). Each model lists the fields
leadbot or Bolt reads, with the JSON types Slack sends; any other field may
be there and is left alone. A body that does not fit is answered 400 before
anything else happens, so a wrongly typed field is never read as if someone
had typed it, and nothing downstream trips over a shape it did not expect.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Event types leadbot answers: only these have their fields checked. Other event types are
# acknowledged and ignored, and some legitimately carry objects in the same names (team_join's "user").
ANSWERED_EVENTS = frozenset({"message", "app_mention", "app_home_opened"})


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Named(_Shape):
    """A user, team, channel or enterprise object: the id we read."""

    id: str | None = None


class Container(_Shape):
    type: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None


class Action(_Shape):
    action_id: str
    type: str | None = None
    value: str | None = None
    block_id: str | None = None
    action_ts: str | None = None
    text: dict[str, Any] | None = None


class AnyEvent(_Shape):
    type: str


class AnsweredEvent(AnyEvent):
    user: str | None = None
    channel: str | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    channel_type: str | None = None
    tab: str | None = None
    bot_id: str | None = None
    event_ts: str | None = None
    team: str | None = None


class SlackPayload(_Shape):
    """Any body on /slack/events: an event envelope, a slash command form, or an interactivity payload."""

    type: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    api_app_id: str | None = None
    event_id: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    command: str | None = None
    text: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    channel_id: str | None = None
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
