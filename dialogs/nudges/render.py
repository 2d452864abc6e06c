"""A nudge as a `Reply`: title, the idea, the principle and its source, a question, and the poll.

Poll buttons carry `poll:<week>:<option>`; the reply's choice_token is
`nudge:<week>`, which a messenger may stamp into the message so that a lost
answer can be looked up later. Results are anonymous counts on the message
itself: no names, ever, and no counts at all until `min_votes` people have
voted (LEADBOT_POLL_MIN_VOTES), so that a count of one or two cannot be read
as a colleague's vote.
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
DEFAULT_MIN_VOTES = 3  # as bot.settings.Settings.poll_min_votes


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
    parts = ", ".join(f"{POLL_NAMES[key]} {counts.get(key, 0)}" for key in POLL_OPTIONS)
    people = "1 vote" if total == 1 else f"{total} votes"
    return f"This week we need more: {parts} ({people} so far, anonymous; one vote each)."


def waiting_line(min_votes: int) -> str:
    """Below the minimum: no number but the minimum itself, not even how many have voted."""
    return f"Results appear after {min_votes} votes."


def shows_counts(counts: dict[str, int] | None, min_votes: int) -> bool:
    return counts is not None and sum(counts.get(k, 0) for k in POLL_OPTIONS) >= min_votes


def _label(key: str, counts: dict[str, int] | None) -> str:
    return POLL_OPTIONS[key] if counts is None else f"{POLL_OPTIONS[key]} ({counts.get(key, 0)})"


def render_nudge(
    content: Content,
    nudge: Nudge,
    week: str,
    counts: dict[str, int] | None = None,
    preview: bool = False,
    min_votes: int = DEFAULT_MIN_VOTES,
) -> Reply:
    """The message a channel sees. With `counts` from at least `min_votes` people, the poll results are
    shown under the buttons' prompt; until then the message says when they will appear, and nothing else."""
    principle = content.principles[nudge.principle]
    lines = [nudge.text]
    # Only a real quotation goes in quotation marks; a principle without one is not shown as a quote.
    quote = Quote(text=principle.quote.text, source=attribution(principle.quote, content.sources)) if principle.quote else None
    choices: list[Choice] = []
    tally = None
    if nudge.poll:
        shown = counts if shows_counts(counts, min_votes) else None
        lines.append(POLL_PROMPT if shown is None else results_line(shown))
        if shown is None:
            lines.append(waiting_line(min_votes))
        else:
            tally = [Tally(label=POLL_OPTIONS[key], count=shown.get(key, 0)) for key in POLL_OPTIONS]
        if not preview:
            choices = [Choice(label=_label(key, shown), value=poll_value(week, key)) for key in POLL_OPTIONS]
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


def vote_ack(option: str) -> Reply:
    label = POLL_NAMES[option]
    return Reply(kind="notice", lines=[f"Thanks, your vote for {label} is counted. Nobody can see who voted for what: not even leadbot keeps it."])


def already_voted() -> Reply:
    return Reply(
        kind="notice",
        lines=[
            "You've already voted in this poll, so that press wasn't counted. "
            "leadbot keeps only that you voted, never which way, so a vote can't be changed."
        ],
    )


def poll_closed() -> Reply:
    return Reply(kind="notice", lines=["That poll has closed, so your vote wasn't counted. The next nudge will have a fresh one."])
