"""The seam between platforms and dialogs.

An adapter only ever builds an `Inbound` and consumes a `Reply`; a dialog only
ever consumes an `Inbound` and builds a `Reply`. Nothing platform-specific
crosses this line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Platform = Literal["slack", "teams", "console"]
# Where the message came from, so a dialog can keep public replies short.
Surface = Literal["dm", "mention", "slash", "button", "home", "console"]

MAX_TEXT = 40_000  # anything longer is cut on the way in; nobody types more in one message
MAX_NAME = 128


class ConversationKey(BaseModel):
    """Who a conversation belongs to. Every stored row carries the first three."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    workspace_id: str = Field(min_length=1, max_length=128)  # Slack team id, Teams tenant id, "local"
    user_id: str = Field(min_length=1, max_length=128)
    conversation_id: str = Field(min_length=1, max_length=256)  # DM / channel / Teams conversation


class ChoicePress(BaseModel):
    """A button pressed (Slack block action, Teams Action.Submit, a number typed in the console)."""

    value: str = Field(max_length=200)
    token: str | None = Field(default=None, max_length=64)  # the prompt it belonged to; stale if it differs


class Inbound(BaseModel):
    key: ConversationKey
    surface: Surface
    text: str | None = None
    choice: ChoicePress | None = None
    event_id: str | None = None  # the platform's id for this delivery, for de-duplication
    user_name: str | None = None  # display name, only for attributions the user asked for (nudge on)
    in_channel: bool = False  # said where others can see it (a channel, a group chat), not in a direct message
    message_ref: str | None = None  # for a button press: the platform's id of the message the button was on
    locale: str | None = Field(
        default=None, max_length=32
    )  # the platform's locale for the person ("cy-GB", "en-US"), if known
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def model_post_init(self, __context: object) -> None:
        if self.text is not None and len(self.text) > MAX_TEXT:
            object.__setattr__(self, "text", self.text[:MAX_TEXT])
        if self.user_name is not None:
            # stored beside the channel's subscription (a 128-character column); a blank name is no name
            object.__setattr__(self, "user_name", self.user_name.strip()[:MAX_NAME] or None)


class Quote(BaseModel):
    text: str  # the source's own words, in the source's language
    source: str
    translation: str | None = None  # our rendering in the reply's language, already marked as a translation


class Choice(BaseModel):
    label: str
    value: str
    primary: bool = False


class Tally(BaseModel):
    """One option's count in poll results; renderers draw the counts as bars."""

    label: str
    count: int = Field(ge=0)


ReplyKind = Literal[
    "diagnosis",  # what the team needs, the principle and a step
    "question",  # a quick-test question
    "escalation",  # a sensitive matter: routes, no coaching
    "info",  # help, privacy, about
    "notice",  # short acknowledgements: thanks, forgotten, feedback noted
    "error",  # something went wrong on our side; try again
    "nudge",  # the weekly channel nudge: principle, question, anonymous poll
]


class Reply(BaseModel):
    kind: ReplyKind
    title: str | None = None
    lines: list[str] = Field(default_factory=list)  # short paragraphs of plain text
    quote: Quote | None = None
    next_step: str | None = None
    next_step_label: str = "Next step"  # the heading before the step, in the reply's language
    follow_up: str | None = None  # a question to take away with the step
    choices: list[Choice] = Field(default_factory=list)
    choice_token: str | None = None  # sent back with a press so stale presses can be told apart
    table: list[tuple[str, str, str]] | None = None  # rows for "what do you store?"
    tally: list[Tally] | None = None  # poll results, shown as bars after the lines (the lines say them in words too)
    language: str = "en"  # the language the reply is written in ("en", "cy"), for the platform's own labels

    def plain_text(self) -> str:
        """The whole reply as plain text: notifications, screen readers, the console."""
        parts: list[str] = []
        if self.title:
            parts.append(self.title)
        parts.extend(self.lines)
        if self.quote:
            parts.append(f"\u201c{self.quote.text}\u201d \u2014 {self.quote.source}")
            if self.quote.translation:
                parts.append(self.quote.translation)
        if self.next_step:
            parts.append(f"{self.next_step_label}: {self.next_step}")
        if self.follow_up:
            parts.append(self.follow_up)
        if self.table:
            parts.extend(f"- {what}: {why} ({how_long})" for what, why, how_long in self.table)
        return "\n".join(parts)
