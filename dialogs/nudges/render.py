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
from typing import Literal

from dialogs.content_loader import Content
from dialogs.content_schema import Nudge
from dialogs.models import Choice, Quote, Reply, Tally
from dialogs.quotations import attribution

# The poll's options, in the order of its buttons; their words are in wording.yaml (poll_<option>, poll_name_<option>).
POLL_OPTIONS: tuple[str, ...] = ("meaning", "structure", "about_right")
# A channel's nudges in one language, or in both with Welsh first (the Welsh Language Standards' order).
NudgeLanguage = Literal["en", "cy", "bilingual"]
BILINGUAL_ORDER = ("cy", "en")
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


def results_line(content: Content, counts: dict[str, int]) -> str:
    """Totals only: nobody, not even the bot's replies, says who voted for what."""
    total = sum(counts.get(k, 0) for k in POLL_OPTIONS)
    if total == 0:
        return content.say("poll_no_votes")
    parts = ", ".join(f"{content.say('poll_name_' + key)} {counts.get(key, 0)}" for key in POLL_OPTIONS)
    votes = content.say("poll_one_vote") if total == 1 else content.say("poll_votes", n=total)
    return content.say("poll_results", parts=parts, votes=votes)


def waiting_line(content: Content, min_votes: int) -> str:
    """Below the minimum: no number but the minimum itself, not even how many have voted."""
    return content.say("poll_waiting", n=min_votes)


def shows_counts(counts: dict[str, int] | None, min_votes: int) -> bool:
    return counts is not None and sum(counts.get(k, 0) for k in POLL_OPTIONS) >= min_votes


def _languages(content: Content, language: str) -> list[Content]:
    if language == "bilingual":
        return [content.in_language(code) for code in BILINGUAL_ORDER]
    return [content.in_language(language)]


def _label(words: list[Content], key: str, counts: dict[str, int] | None) -> str:
    label = " / ".join(c.say(f"poll_{key}") for c in words)
    return label if counts is None else f"{label} ({counts.get(key, 0)})"


def render_nudge(
    content: Content,
    nudge: Nudge,
    week: str,
    counts: dict[str, int] | None = None,
    preview: bool = False,
    language: str = "en",
    min_votes: int = DEFAULT_MIN_VOTES,
) -> Reply:
    """The message a channel sees, in its language (or both, Welsh first). With `counts` from at least
    `min_votes` people, the poll results are shown under the buttons' prompt; until then the message says
    when they will appear, and nothing else."""
    words = _languages(content, language)
    first = words[0]
    said = [c.nudges[nudge.id] for c in words]
    lines = [n.text for n in said]
    principle = first.principles[nudge.principle]
    # Only a real quotation goes in quotation marks; a principle without one is not shown as a quote.
    quote = None
    if principle.quote:
        source = attribution(principle.quote, first.sources, first.wording["quoted_in"])
        rendering = [
            c.say("translation", text=c.principles[nudge.principle].quote.translation)
            for c in words
            if c.principles[nudge.principle].quote.translation
        ]
        quote = Quote(text=principle.quote.text, source=source, translation=" ".join(rendering) or None)
    choices: list[Choice] = []
    tally = None
    if nudge.poll:
        shown = counts if shows_counts(counts, min_votes) else None
        for c in words:  # each language's prompt and results (or when they will appear) together
            lines.append(c.say("poll_prompt") if shown is None else results_line(c, shown))
            if shown is None:
                lines.append(waiting_line(c, min_votes))
        if shown is not None:
            tally = [Tally(label=_label(words, key, None), count=shown.get(key, 0)) for key in POLL_OPTIONS]
        if not preview:
            choices = [Choice(label=_label(words, key, shown), value=poll_value(week, key)) for key in POLL_OPTIONS]
    title = " / ".join(n.title for n in said)
    return Reply(
        kind="nudge",
        title=first.say("nudge_preview", title=title) if preview else title,
        lines=lines,
        quote=quote,
        follow_up="\n".join(n.question for n in said),
        choices=choices,
        choice_token=nudge_token(week),
        tally=tally,
        language=first.language,
    )


def vote_ack(content: Content, option: str) -> Reply:
    name = content.say(f"poll_name_{option}")
    return Reply(
        kind="notice",
        lines=[f"{content.say('vote_counted', option=name)} {content.say('vote_private')}"],
        language=content.language,
    )


def already_voted(content: Content) -> Reply:
    """A second press in the same poll: only that the person voted is kept, so there is nothing to change."""
    return Reply(kind="notice", lines=[content.say("already_voted")], language=content.language)


def poll_closed(content: Content) -> Reply:
    return Reply(kind="notice", lines=[content.say("poll_closed")], language=content.language)
