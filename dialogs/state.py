"""Per-conversation state: where the manager is, never what they wrote."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

STATE_VERSION = 1


class Snapshot(BaseModel):
    """The last diagnosis shown, as labels only, so that *why?* and *another step* can follow it."""

    model_config = ConfigDict(extra="forbid")

    first_move: Literal["lead", "manage"]
    problem: Literal["uncertainty", "confidence", "inconsistency", "control"]
    both: bool = False
    pattern: str | None = None
    confidence: float = 1.0
    principle_id: str | None = None
    step_ids: list[str] = Field(default_factory=list)  # shown so far, newest last
    signal_ids: list[str] = Field(default_factory=list)  # cue ids: what pointed where, for *why?*
    from_quiz: bool = False
    seed: int = 0  # picks among equally good steps, so two managers need not get the same one
    situations: list[str] = Field(default_factory=list)  # situation ids the message mentioned (never its words)
    principle_ids: list[str] = Field(default_factory=list)  # principles shown so far, so *not quite* shows a new one
    quiz_answers: list[str] = Field(default_factory=list)  # button values pressed in the quick test, for *why?*


class Quiz(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Literal["side", "lead", "manage", "any", "order"] = "side"
    side: Literal["lead", "manage", "both", "unsure"] | None = None
    lead_problem: Literal["uncertainty", "confidence"] | None = None
    manage_problem: Literal["inconsistency", "control"] | None = None
    asked: int = 0
    first_guess: str | None = None  # "manage/control": the free-text guess the manager said was not quite right
    pattern: str | None = None
    seed: int = 0
    situations: list[str] = Field(default_factory=list)  # from the message that led here, as ids
    answers: list[str] = Field(default_factory=list)  # button values pressed so far ("side:lead", "problem:control")


class LiveChoice(BaseModel):
    """A choice on the prompt that is live now, so a typed number or label can stand for a press."""

    model_config = ConfigDict(extra="forbid")

    value: str
    label: str


class ConversationState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: Literal[1] = STATE_VERSION
    stage: Literal["idle", "offered", "quiz", "feedback"] = "idle"
    prompt: str | None = None  # token of the prompt whose choices are live
    live: list[LiveChoice] = Field(default_factory=list)
    snapshot: Snapshot | None = None
    quiz: Quiz | None = None
    rated: list[str] = Field(default_factory=list)  # step ids already rated in this conversation
    language: str | None = None  # the language this conversation's last replies (and their buttons) were in
    # The manager said the last escalation was not a sensitive matter: their next message escalates
    # only on a sensitive term, not on the model's reading alone. Any turn that starts afresh clears it.
    second_look: bool = False
