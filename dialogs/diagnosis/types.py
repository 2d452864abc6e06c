"""The one interface every diagnosis approach implements."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

Intent = Literal[
    "greeting",
    "thanks",
    "help",
    "about",
    "concept",
    "copy",
    "privacy",
    "forget",
    "off_topic",
    "unclear",
    "empty",
    "vague",
]


class Diagnosis(BaseModel):
    first_move: Literal["lead", "manage", "escalate", "none"]
    problem: Literal["uncertainty", "confidence", "inconsistency", "control"] | None = None
    both: bool = False
    pattern: str | None = None
    # How likely this reading is right, 0..1. The dialog asks the quick test below `ask_below`.
    confidence: float = Field(ge=0.0, le=1.0)
    topic: str | None = None  # escalation topic id: the likeliest topic of an escalation
    topic_sure: bool = False  # False: the reply says it cannot tell, and shows the general routes
    topic_alternatives: list[str] = Field(default_factory=list)  # the likeliest topics, best first
    # The message has a term from escalation.yaml's lists. An escalation without one rests on the
    # model's reading alone, and the manager may say it is not a sensitive matter (see `second_look`).
    sensitive_terms: bool = False
    intent: Intent | None = None  # for first_move none: what kind of message it was
    signals: list[str] = Field(default_factory=list)  # ids of what in the message pointed where
    seed: int = 0  # stable per message: picks among equally good steps
    # Situation ids the message mentions (dialogs.situations), filled in where the reply is built, not by the
    # diagnoser: the principle and step are fitted to them.
    situations: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        """`manage/control` style label used in counts and logs (never the text)."""
        return f"{self.first_move}/{self.problem}" if self.problem else self.first_move


class Diagnoser(Protocol):
    ask_below: float

    def diagnose(self, text: str, second_look: bool = False) -> Diagnosis:
        """`second_look`: the manager has just said the bot's last escalation was not a sensitive
        matter, so escalate only on a sensitive term (the safety net), never on the model's reading alone."""
        ...
