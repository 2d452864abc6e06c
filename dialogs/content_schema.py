"""The shape of everything in `content/`, as pydantic models.

Each YAML file maps to one `*File` model. `dialogs.content_loader` reads the
files, validates them with these models and then checks cross-references,
reporting every problem with file, entry and field.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ProblemId = Literal["uncertainty", "confidence", "inconsistency", "control"]
Move = Literal["lead", "manage"]
FirstMove = Literal["lead", "manage", "escalate", "none"]
PatternId = Literal[
    "specialist_promoted",
    "charisma",
    "paperwork",
    "over_managing",
    "over_leading",
    "agreement_not_commitment",
]
Theme = Literal["lead", "manage", "balance"]

PROBLEM_MOVE: dict[str, str] = {
    "uncertainty": "lead",
    "confidence": "lead",
    "inconsistency": "manage",
    "control": "manage",
}

Slug = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")


class Entry(BaseModel):
    """Content authors make typos: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- sources.yaml ------------------------------------------------------------


class Source(Entry):
    """Where quoted words come from. Its full text is kept beside the content, so every quotation can be checked."""

    id: str = Slug
    # The title exactly as the source gives it; leave it out when the source has none (never make one up).
    title: str | None = Field(default=None, min_length=3, max_length=200)
    site: str | None = Field(
        default=None, min_length=2, max_length=80
    )  # the website or publisher, as the source names itself
    # How to credit a source with no title: "an untitled article on ...". Used only when there is no title.
    description: str | None = Field(default=None, min_length=10, max_length=160)
    text: str = Field(min_length=3, max_length=200)  # path of the source's full text, relative to the content folder

    @model_validator(mode="after")
    def can_be_credited(self) -> Source:
        if not self.title and not self.description:
            raise ValueError("a source needs its real title or, if it has none, a description to credit it by")
        return self


class SourcesFile(Entry):
    sources: list[Source] = Field(min_length=1)


# --- principles.yaml ---------------------------------------------------------


class Quotation(Entry):
    """Words shown in quotation marks. They must appear word for word in the source's text."""

    text: str = Field(min_length=5, max_length=260)
    source: str  # a source id from sources.yaml: where these exact words appear
    # Who the words are credited to, when that is not the source itself:
    # "often attributed to Peter Drucker", "unattributed". Shown before "quoted in <source>".
    said_by: str | None = Field(default=None, min_length=3, max_length=160)
    # In a translation of the content (content/cy/): our rendering of the words in that language,
    # shown beside the quotation and marked as a translation, never in quotation marks.
    translation: str | None = Field(default=None, min_length=5, max_length=400)


class Principle(Entry):
    id: str = Slug
    title: str = Field(min_length=3, max_length=80)
    text: str = Field(min_length=10, max_length=320)  # in our own words, a sentence or two; never in quotation marks
    quote: Quotation | None = None  # a short quotation that makes the same point, if a source says it well
    problems: list[ProblemId] = Field(default_factory=list)
    first_moves: list[Move] = Field(default_factory=list)
    patterns: list[PatternId] = Field(default_factory=list)
    # Situations (ids from situations.yaml) the principle only makes sense in: all must be in the message.
    needs: list[str] = Field(default_factory=list)
    # Situations it suits especially well: each one in the message makes it a better pick.
    suits: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def serves_something(self) -> Principle:
        if not (self.problems or self.first_moves or self.patterns):
            raise ValueError("a principle must serve at least one problem, first move or pattern")
        return self


class PrinciplesFile(Entry):
    principles: list[Principle] = Field(min_length=1)


# --- problems.yaml -----------------------------------------------------------


class Problem(Entry):
    id: ProblemId
    name: str = Field(max_length=40)
    first_move: Move
    # One sentence for the diagnosis reply: why this problem calls for this move.
    why: str = Field(min_length=10, max_length=240)
    question: str = Field(min_length=10, max_length=200)  # the quick-test question
    choice_label: str = Field(min_length=3, max_length=60)  # the button that picks this problem

    @model_validator(mode="after")
    def move_matches(self) -> Problem:
        if PROBLEM_MOVE[self.id] != self.first_move:
            raise ValueError(f"{self.id} is a {PROBLEM_MOVE[self.id]} problem, not {self.first_move}")
        return self


class QuickTest(Entry):
    intro: str = Field(max_length=240)
    side_question: str = Field(max_length=200)  # direction or delivery?
    side_lead_label: str = Field(max_length=60)
    side_manage_label: str = Field(max_length=60)
    side_both_label: str = Field(max_length=60)
    side_unsure_label: str = Field(max_length=60)
    lead_question: str = Field(max_length=200)  # uncertainty or confidence?
    manage_question: str = Field(max_length=200)  # inconsistency or control?
    any_question: str = Field(max_length=200)  # all four at once, when they are unsure
    order_question: str = Field(max_length=200)  # both: which first?
    order_lead_label: str = Field(max_length=60)
    order_manage_label: str = Field(max_length=60)


class ProblemsFile(Entry):
    quick_test: QuickTest
    problems: list[Problem] = Field(min_length=4, max_length=4)


# --- patterns.yaml -----------------------------------------------------------


class Pattern(Entry):
    id: PatternId
    name: str = Field(max_length=60)
    looks_like: str = Field(min_length=10, max_length=240)
    first_move: Move
    problem: ProblemId | None = None  # the usual symptom; None where it varies
    advice: str = Field(min_length=10, max_length=240)
    # Situations (ids from situations.yaml) the pattern means are present, even if not in so many words:
    # a promoted specialist is a new supervisor.
    implies: list[str] = Field(default_factory=list)


class PatternsFile(Entry):
    patterns: list[Pattern] = Field(min_length=6, max_length=6)


# --- next_steps.yaml ---------------------------------------------------------


class NextStep(Entry):
    id: str = Slug
    text: str = Field(min_length=20, max_length=300)  # concrete, doable this week
    follow_up: str = Field(min_length=10, max_length=200)  # a question to take away
    problems: list[ProblemId] = Field(default_factory=list)
    patterns: list[PatternId] = Field(default_factory=list)
    principle: str | None = None  # reference to a principle id
    # What the step takes for granted (ids from situations.yaml): it is only offered when the
    # message says all of them. A step with no needs is general and fits any message about its problem.
    needs: list[str] = Field(default_factory=list)
    suits: list[str] = Field(default_factory=list)  # situations that make it a better pick, not required

    @model_validator(mode="after")
    def targets_something(self) -> NextStep:
        if not (self.problems or self.patterns):
            raise ValueError("a next step must name at least one problem or pattern")
        return self


class NextStepsFile(Entry):
    next_steps: list[NextStep] = Field(min_length=1)


# --- nudges.yaml -------------------------------------------------------------


class Nudge(Entry):
    id: str = Slug
    title: str = Field(min_length=3, max_length=80)
    theme: Theme
    principle: str  # reference to a principle id
    text: str = Field(min_length=20, max_length=400)  # the principle in a sentence or two
    question: str = Field(min_length=10, max_length=200)  # for the team to reflect on together
    poll: bool = True  # offer the one-click "this week we need more..." poll

    @field_validator("poll", mode="before")
    @classmethod
    def true_or_false(cls, v: object) -> object:
        # YAML reads true/false (and yes/no) as booleans; anything in quotes or any other word is a typo here.
        if not isinstance(v, bool):
            raise ValueError(f"must be true or false, not {v!r}")
        return v


class NudgesFile(Entry):
    nudges: list[Nudge] = Field(min_length=1)


# --- escalation.yaml ---------------------------------------------------------

PLACEHOLDER = re.compile(r"\{\{\s*([A-Z][A-Z0-9_]*)\s*\}\}")


class EscalationRoute(Entry):
    id: str = Slug
    name: str = Field(max_length=80)
    # How to reach it. `{{PLACEHOLDER}}` marks what an organisation fills in.
    contact: str = Field(min_length=3, max_length=300)
    when: str = Field(max_length=200)


class EscalationTopic(Entry):
    id: str = Slug
    name: str = Field(max_length=80)
    reply: str = Field(min_length=10, max_length=400)  # a kind sentence for this topic
    routes: list[str] = Field(min_length=1)  # route ids
    urgent: bool = False  # risk to life or of harm now: lead with the urgent line
    # Words and phrases that signal this topic. Plain words match whole words;
    # a trailing * matches any ending ("harass*"); entries in /slashes/ are regular expressions.
    terms: list[str] = Field(default_factory=list)
    # Softer signals: ordinary words that often come up when this topic is sensitive.
    # Never decisive alone; the diagnosis model learns how much they count.
    hints: list[str] = Field(default_factory=list)
    # Topics this one is chosen over when one of its own terms appears, however the reader ranks them:
    # a threat aimed at a child is that child's safeguarding first, and its routes are the statutory ones.
    outranks: list[str] = Field(default_factory=list)


class UnsureBlock(Entry):
    """What the bot says when it cannot tell which sensitive topic a message is about."""

    title: str = Field(max_length=80)
    reply: str = Field(min_length=10, max_length=400)
    routes: list[str] = Field(min_length=1)  # route ids every sensitive matter shares
    if_about: str = Field(max_length=120)  # heading before a likely topic's own routes; `{topic}` is its name

    @field_validator("if_about")
    @classmethod
    def names_the_topic(cls, v: str) -> str:
        if "{topic}" not in v:
            raise ValueError("must contain {topic}, where the topic's name goes")
        return v


class NotSensitiveBlock(Entry):
    """The way back from a false alarm: a button on an escalation the model read without any sensitive term."""

    label: str = Field(min_length=3, max_length=40)  # the button
    reply: str = Field(min_length=10, max_length=500)  # after it is pressed: ask for the team problem again


class EscalationFile(Entry):
    intro: str = Field(max_length=300)
    urgent_line: str = Field(max_length=300)
    outro: str = Field(max_length=300)
    unsure: UnsureBlock
    not_sensitive: NotSensitiveBlock
    topics: list[EscalationTopic] = Field(min_length=1)
    routes: list[EscalationRoute] = Field(min_length=1)
    # Everyday phrases that must not trigger an escalation ("killing it").
    figures_of_speech: list[str] = Field(default_factory=list)


# --- cues.yaml ---------------------------------------------------------------


class Cue(Entry):
    """A phrase that points to a problem, so *why?* can say what in the message pointed where."""

    id: str = Slug
    points_to: ProblemId
    # Finishes "You mentioned ...", and must be true of every term below: "unclear or competing priorities".
    says: str = Field(min_length=5, max_length=120)
    means: str = Field(min_length=5, max_length=140)  # what that points to: "ranking priorities is a leadership job"
    terms: list[str] = Field(min_length=1)  # same syntax as escalation terms


class CuesFile(Entry):
    cues: list[Cue] = Field(min_length=4)


# --- situations.yaml -----------------------------------------------------------


class Situation(Entry):
    """Something a message can say about the team's circumstances: a change under way, a rota, a backlog.

    Steps and principles name the situations they take for granted, so none is offered to a
    manager who did not describe it.
    """

    id: str = Slug
    mentioned: str = Field(min_length=3, max_length=120)  # finishes "You mentioned ...": "the rota or shift cover"
    terms: list[str] = Field(min_length=1)  # same syntax as escalation terms
    # True for what almost any team's work involves (cases, requests): a step may need it, so it is not
    # offered where it makes no sense, but mentioning it does not make that step a better fit.
    background: bool = False
    # Other situations this one always is: a merger is a change. Ids from this file.
    implies: list[str] = Field(default_factory=list)


class SituationsFile(Entry):
    situations: list[Situation] = Field(min_length=1)


# --- training/*.yaml ---------------------------------------------------------


class TrainingExample(Entry):
    text: str = Field(min_length=1, max_length=2000)
    first_move: FirstMove
    problem: ProblemId | None = None
    both: bool = False
    pattern: PatternId | None = None
    # For escalate examples: the escalation topic id (content/escalation.yaml) whose people must act.
    topic: str | None = None
    # Sounds sensitive but is not ("harassing them for timesheets", booking safeguarding training).
    # Set for every example of a file with `near_misses: true`.
    near_miss: bool = False

    @model_validator(mode="after")
    def labels_agree(self) -> TrainingExample:
        if self.topic is not None and self.first_move != "escalate":
            raise ValueError("only an escalate example has a topic")
        if self.near_miss and self.first_move == "escalate":
            raise ValueError("an escalate example cannot be a near miss")
        if self.first_move in ("escalate", "none"):
            if self.problem or self.both or self.pattern:
                raise ValueError(f"a {self.first_move} example has no problem, both or pattern")
        else:
            if self.problem is None:
                raise ValueError("a lead or manage example needs a problem")
            if PROBLEM_MOVE[self.problem] != self.first_move:
                raise ValueError(
                    f"problem {self.problem} goes with first_move {PROBLEM_MOVE[self.problem]}, not {self.first_move}"
                )
        return self


class TrainingFile(Entry):
    # true: the examples here that are not escalate sound sensitive but are not (a file of
    # near misses, or of pairs: a sensitive matter and its ordinary twin). The bot learns the
    # difference from them.
    near_misses: bool = False
    examples: list[TrainingExample] = Field(min_length=1)


# --- messages.yaml -----------------------------------------------------------


class StoredItem(Entry):
    what: str
    why: str
    how_long: str


class Messages(Entry):
    """Every fixed thing the bot says, so that HR or L&D can reword it."""

    greeting: str
    help_title: str
    help: list[str] = Field(min_length=1)
    thanks: str
    about: list[str] = Field(min_length=1)
    concept_title: str  # the answer to "what's the difference between leading and managing?"
    concept: list[str] = Field(min_length=1)
    concept_invite: str  # after the quotation: an invitation to describe the team's problem
    no_copy: str  # "can you email me these chats?": no words are kept to send
    privacy_intro: str
    stored: list[StoredItem] = Field(min_length=1)
    forget_done: str  # {records} becomes "3 records"
    empty: str
    unclear: str
    off_topic: str
    not_a_team_problem: str
    stale_choice: str
    state_reset: str
    done: str
    feedback_question: str
    feedback_thanks: str
    no_more_steps: str
    # After "not quite" and the quick test: the answers agree with the first reading, or change it.
    quiz_confirms: str
    quiz_changes: str
    quiz_abandoned: str
    unavailable: str
    move_names: dict[str, str]  # lead -> "leadership", manage -> "management"
    choice_labels: dict[str, str]  # that's it / not quite / another step / why? / yes / no

    @field_validator("forget_done")
    @classmethod
    def says_how_many(cls, v: str) -> str:
        if "{records}" not in v:
            raise ValueError(
                "must keep {records}: the bot puts the number of records deleted there, e.g. '(3 records)'"
            )
        return v

    @field_validator("move_names")
    @classmethod
    def has_moves(cls, v: dict[str, str]) -> dict[str, str]:
        missing = {"lead", "manage"} - set(v)
        if missing:
            raise ValueError(f"missing names for {sorted(missing)}")
        return v

    @field_validator("choice_labels")
    @classmethod
    def has_labels(cls, v: dict[str, str]) -> dict[str, str]:
        missing = {"done", "not_quite", "another_step", "why", "useful_yes", "useful_no"} - set(v)
        if missing:
            raise ValueError(f"missing labels for {sorted(missing)}")
        return v


# --- pages.yaml --------------------------------------------------------------


class Page(Entry):
    title: str = Field(min_length=3, max_length=120)
    paragraphs: list[str] = Field(min_length=1)


class PagesFile(Entry):
    """The web pages `leadbot serve` shows at /privacy and /terms (the Teams app package links to them).
    The privacy page also lists what is stored, from `stored` in messages.yaml, so the two never disagree."""

    privacy: Page
    privacy_table: StoredItem  # the table's column headings
    privacy_after_table: list[str] = Field(default_factory=list)
    terms: Page


# --- wording.yaml --------------------------------------------------------------

# Every phrase the code puts around the content, with the {names} the code fills in.
# A phrase may leave a name out only where the code says so; it may never add one.
PHRASES: dict[str, tuple[str, ...]] = {
    "headline_lead": (),
    "headline_manage": (),
    "headline_both_lead": (),
    "headline_both_manage": (),
    "then_lead": (),
    "then_manage": (),
    "trap": ("name", "advice"),
    "next_step": (),
    "another_step": (),
    "quoted_in": ("said_by", "source"),
    "translation": ("text",),
    "why_title": (),
    "quiz_said": ("answers",),
    "quiz_join": (),
    "quiz_join_last": (),
    "quiz_side_lead": (),
    "quiz_side_manage": (),
    "quiz_side_both": (),
    "quiz_side_unsure": (),
    "quiz_order": ("label",),
    "quiz_told": ("problem",),
    "cue": ("says", "means"),
    "no_cue": ("problem",),
    "problem_is_lead": ("problem", "problem_lower", "why"),
    "problem_is_manage": ("problem", "problem_lower", "why"),
    "trap_marks": ("name", "looks_like"),
    "general_step": (),
    "step_because": ("reasons",),
    "because_mentioned": ("things",),
    "because_pattern": ("name",),
    "and": (),
    "reasons_join": (),
    "principle_in_my_words": ("text",),
    "quiz_title": ("n",),
    "not_filled_in": (),
    "record_one": (),
    "records": ("n",),
    "switched": (),
    "nudge_preview": ("title",),
    "poll_meaning": (),
    "poll_structure": (),
    "poll_about_right": (),
    "poll_name_meaning": (),
    "poll_name_structure": (),
    "poll_name_about_right": (),
    "poll_prompt": (),
    "poll_no_votes": (),
    "poll_results": ("parts", "votes"),
    "poll_one_vote": (),
    "poll_votes": ("n",),
    "poll_waiting": ("n",),
    "vote_counted": ("option",),
    "vote_private": (),
    "already_voted": (),
    "poll_closed": (),
    "console_quit": (),
    "console_why": (),
    "slack_continue_privately": (),
    "slack_continued_privately": (),
    "slack_nothing_to_continue": (),
    "slack_chosen": ("label",),
    "slack_shortened": (),
    "slack_home_title": (),
    "slack_home_what": (),
    "slack_home_how": (),
    "slack_home_usage_dm": (),
    "slack_home_usage_channel": (),
    "slack_home_usage_slash": (),
    "slack_home_usage_help": (),
    "slack_home_stored": (),
    "slack_home_settings": (),
    "slack_home_quotes": (),
    "slack_home_on": (),
    "slack_home_off": (),
    "slack_home_turn_on": (),
    "slack_home_turn_off": (),
    "slack_home_language": (),
    "slack_home_forget": (),
    "teams_continue_privately": (),
    "teams_continue_offer": (),
    "teams_moved": (),
    "teams_nothing_to_move": (),
    "teams_cannot_message_privately": (),
    "nudge_title": (),
    "nudge_every": ("day", "time", "timezone", "region", "language"),
    "nudge_language_en": (),
    "nudge_language_cy": (),
    "nudge_language_bilingual": (),
    "region_england_and_wales": (),
    "region_scotland": (),
    "region_northern_ireland": (),
    "day_0": (),
    "day_1": (),
    "day_2": (),
    "day_3": (),
    "day_4": (),
    "day_5": (),
    "day_6": (),
    "month_1": (),
    "month_2": (),
    "month_3": (),
    "month_4": (),
    "month_5": (),
    "month_6": (),
    "month_7": (),
    "month_8": (),
    "month_9": (),
    "month_10": (),
    "month_11": (),
    "month_12": (),
    "nudge_day": ("weekday", "day", "month"),
    "nudge_date": ("day", "month", "year"),
    "nudge_slot": ("day", "time"),
    "nudge_moved": ("when", "day", "holiday"),
    "nudge_updated": ("schedule",),
    "nudge_turned_on": ("schedule",),
    "nudge_next": ("when",),
    "nudge_anyone": (),
    "nudge_off_was_off": (),
    "nudge_off": (),
    "nudge_not_on": (),
    "nudge_how": ("schedule",),
    "nudge_are_on": ("schedule",),
    "nudge_paused": ("date", "why"),
    "nudge_turned_on_by": ("who", "date"),
    "nudge_someone": (),
    "pause_channel_not_found": (),
    "pause_is_archived": (),
    "pause_not_in_channel": (),
    "pause_gone": (),
    "nudge_channel_only": (),
    "nudge_channel_only_how": (),
    "nudge_usage": (),
    "nudge_error_off": (),
    "nudge_error_unknown": ("action",),
    "nudge_error_weekend": (),
    "nudge_error_token": ("token",),
    "nudge_unavailable": (),
    "busy": (),
    "holiday_observed": ("name",),
    "holiday_battle_of_the_boyne": (),
    "holiday_boxing_day": (),
    "holiday_christmas_day": (),
    "holiday_easter_monday": (),
    "holiday_good_friday": (),
    "holiday_late_summer_bank_holiday": (),
    "holiday_may_day": (),
    "holiday_new_year_holiday": (),
    "holiday_new_year_s_day": (),
    "holiday_saint_andrew_s_day": (),
    "holiday_saint_patrick_s_day": (),
    "holiday_spring_bank_holiday": (),
    "holiday_summer_bank_holiday": (),
}
# Alternative names offered for a language's word order or capitals ({problem} or {problem_lower}):
# a phrase offered them must use at least one.
OPTIONAL_NAMES = {"problem_lower", "problem"}
PLACEHOLDER_NAME = re.compile(r"\{([a-z_]+)\}")


class WordingFile(Entry):
    """The short phrases around the content: headings, labels, the sentences that join a reply together."""

    # Spaces at the ends count here: ", and that " joins two answers.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    phrases: dict[str, str]

    @field_validator("phrases")
    @classmethod
    def every_phrase_with_its_names(cls, v: dict[str, str]) -> dict[str, str]:
        problems = []
        missing = [k for k in PHRASES if k not in v]
        if missing:
            problems.append(f"missing phrases {missing}")
        unknown = [k for k in v if k not in PHRASES]
        if unknown:
            problems.append(f"unknown phrases {unknown} (the code does not use them)")
        for key, text in v.items():
            if key not in PHRASES:
                continue
            used = set(PLACEHOLDER_NAME.findall(text))
            wanted = set(PHRASES[key])
            if wanted & OPTIONAL_NAMES and not used & wanted & OPTIONAL_NAMES:
                problems.append(f"phrase {key}: must keep one of {{{'}, {'.join(sorted(wanted & OPTIONAL_NAMES))}}}")
            wanted -= OPTIONAL_NAMES
            if used - set(PHRASES[key]):
                problems.append(
                    f"phrase {key}: {{{', '.join(sorted(used - set(PHRASES[key])))}}} is not something the bot fills in here"
                )
            if wanted - used:
                problems.append(f"phrase {key}: must keep {{{'}, {'.join(sorted(wanted - used))}}}")
        if problems:
            raise ValueError("; ".join(problems))
        return v
