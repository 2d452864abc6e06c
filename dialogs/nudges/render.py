"""A nudge as a `Reply`: title, the idea, the principle and its source, a question, and the poll.

Poll buttons carry `poll:<week>:<option>`; the reply's choice_token is
`nudge:<week>`, which a messenger may stamp into the message so that a lost
answer can be looked up later. Results are anonymous counts on the message
itself: no names, ever.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.content_loader import Content
from dialogs.content_schema import Nudge
from dialogs.models import Choice, Quote, Reply, Tally
from dialogs.quotations import attribution

POLL_OPTIONS: dict[str, str] = {"meaning": "More meaning", "structure": "More structure", "about_right": "About right"}
POLL_NAMES: dict[str, str] = {"meaning": "meaning", "structure": "structure", "about_right": "about right"}
POLL_PROMPT = "This week we need more: meaning, structure, or is it about right? Vote with the buttons below; votes are anonymous."
POLL_PREFIX = "poll:"
TOKEN_PREFIX = "nudge:"


@dataclass(frozen=True)
class PollPress:
    week: str
    option: str


def poll_value(week: str, option: str) -> str:
    return f"{POLL_PREFIX}{week}:{option}"


def parse_poll_value(value: str) -> PollPress | None:
    """`poll:2025-W14:meaning` -> PollPress, or None for anything else (old, forged or foreign values)."""
    if not value.startswith(POLL_PREFIX):
        return None
    parts = value.split(":")
    if len(parts) != 3 or parts[2] not in POLL_OPTIONS:
        return None
    week = parts[1]
    if len(week) != 8 or week[4:6] != "-W" or not (week[:4] + week[6:]).isdigit() or not 1 <= int(week[6:]) <= 53:
        return None
    return PollPress(week, parts[2])


def is_poll_value(value: str | None) -> bool:
    return bool(value) and parse_poll_value(value) is not None


def nudge_token(week: str) -> str:
    return f"{TOKEN_PREFIX}{week}"


def results_line(counts: dict[str, int]) -> str:
    """Totals only: nobody, not even the bot's replies, says who voted for what."""
    total = sum(counts.get(k, 0) for k in POLL_OPTIONS)
    if total == 0:
        return "This week we need more: no votes yet. Votes are anonymous; only the totals are shown."
    parts = ", ".join(f"{POLL_NAMES[key]} {counts.get(key, 0)}" for key in POLL_OPTIONS)
    people = "1 vote" if total == 1 else f"{total} votes"
    return f"This week we need more: {parts} ({people} so far, anonymous; you can change yours)."


def _label(key: str, counts: dict[str, int] | None) -> str:
    return POLL_OPTIONS[key] if counts is None else f"{POLL_OPTIONS[key]} ({counts.get(key, 0)})"


def render_nudge(content: Content, nudge: Nudge, week: str, counts: dict[str, int] | None = None, preview: bool = False) -> Reply:
    """The message a channel sees. With `counts`, the poll results are shown under the buttons' prompt."""
    principle = content.principles[nudge.principle]
    lines = [nudge.text]
    # Only a real quotation goes in quotation marks; a principle without one is not shown as a quote.
    quote = Quote(text=principle.quote.text, source=attribution(principle.quote, content.sources)) if principle.quote else None
    choices: list[Choice] = []
    tally = None
    if nudge.poll:
        lines.append(POLL_PROMPT if counts is None else results_line(counts))
        if counts is not None:
            tally = [Tally(label=POLL_OPTIONS[key], count=counts.get(key, 0)) for key in POLL_OPTIONS]
        if not preview:
            choices = [Choice(label=_label(key, counts), value=poll_value(week, key)) for key in POLL_OPTIONS]
    return Reply(
        kind="nudge",
        title=f"Preview: {nudge.title}" if preview else nudge.title,
        lines=lines,
        quote=quote,
        follow_up=nudge.question,
        choices=choices,
        choice_token=nudge_token(week),
        tally=tally,
    )


def vote_ack(option: str, changed: bool) -> Reply:
    label = POLL_NAMES[option]
    first = f"Thanks, your vote is changed to {label}." if changed else f"Thanks, your vote for {label} is counted."
    return Reply(kind="notice", lines=[first + " Nobody can see who voted for what, and you can change your vote while the poll is open."])


def poll_closed() -> Reply:
    return Reply(kind="notice", lines=["That poll has closed, so your vote wasn't counted. The next nudge will have a fresh one."])
