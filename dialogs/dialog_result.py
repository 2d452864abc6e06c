"""What the dialog decides for one turn: replies, the new state, and side effects for the store."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from dialogs.models import Choice, Reply
from dialogs.state import ConversationState


@dataclass(frozen=True)
class RecordFeedback:
    step_id: str
    useful: bool


@dataclass(frozen=True)
class RecordMisread:
    first_guess: str
    final: str


@dataclass(frozen=True)
class ForgetUser:
    pass


@dataclass(frozen=True)
class RecordEscalation:
    """A message passed to people rather than coached: counted by topic for the audit log, never who or what."""

    topic: str


# The row of the escalation counts that counts false alarms: escalations a manager said were not a
# sensitive matter. Not a topic id, so it can never be mistaken for one.
SAID_NOT_SENSITIVE = "said-not-sensitive"


@dataclass(frozen=True)
class RecordFalseAlarm:
    """A manager said an escalation was not a sensitive matter: counted per day for the audit log, never who or what."""


Effect = RecordFeedback | RecordMisread | ForgetUser | RecordEscalation | RecordFalseAlarm


@dataclass
class DialogResult:
    replies: list[Reply]
    state: ConversationState
    effects: list[Effect] = field(default_factory=list)
    # what happened, for metrics: "diagnosis", "escalation", "quiz", "info", ... (never text)
    event: str = "info"
    first_move: str | None = None


def new_token() -> str:
    return secrets.token_hex(4)


def with_choices(reply: Reply, state: ConversationState, choices: list[Choice]) -> Reply:
    """Attach choices to a reply and make them the live prompt; older buttons become stale."""
    if not choices:
        state.prompt = None
        return reply
    token = new_token()
    state.prompt = token
    return reply.model_copy(update={"choices": choices, "choice_token": token})
