"""The coaching reply: what the team needs first, the principle, one next step.

Also *another step* and *why?*, which follow the last diagnosis in the state. What is
chosen comes from `dialogs.selection`, fitted to the situations the message mentioned;
*why?* says only what the message (as situation and cue ids) or the quick-test answers
really contained.
"""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.content_schema import NextStep, Principle
from dialogs.models import Choice, Quote, Reply
from dialogs.quotations import attribution
from dialogs.selection import Fit, advice_for, next_step, principle_for
from dialogs.situations import said_for
from dialogs.state import Snapshot

OTHER_MOVE = {"lead": "manage", "manage": "lead"}
MOVE_PROBLEMS = {"lead": ("uncertainty", "confidence"), "manage": ("inconsistency", "control")}


def fit_of(content: Content, snap: Snapshot) -> Fit:
    return Fit.of(content, snap.first_move, snap.problem, snap.pattern, snap.both, snap.situations, snap.seed)


def headline(content: Content, snap: Snapshot) -> str:
    return content.say(f"headline_both_{snap.first_move}" if snap.both else f"headline_{snap.first_move}")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def why_sentence(content: Content, snap: Snapshot) -> list[str]:
    lines = [content.problems[snap.problem].why]
    if snap.pattern:
        pattern = content.patterns[snap.pattern]
        lines.append(content.say("trap", name=pattern.name.lower(), advice=pattern.advice))
    if snap.both:
        lines.append(content.say(f"then_{OTHER_MOVE[snap.first_move]}"))
    return lines


def quote_for(content: Content, principle_id: str) -> Quote | None:
    """The principle's quotation, credited to its real source; None when it has none (then it is shown as our words)."""
    p = content.principles[principle_id]
    if p.quote is None:
        return None
    return quotation(content, p)


def quotation(content: Content, p: Principle) -> Quote | None:
    """A principle's quotation in the source's words, credited, with our rendering beside it in a translation."""
    if p.quote is None:
        return None
    rendering = content.say("translation", text=p.quote.translation) if p.quote.translation else None
    return Quote(
        text=p.quote.text,
        source=attribution(p.quote, content.sources, content.wording["quoted_in"]),
        translation=rendering,
    )


def principle_lines(content: Content, principle_id: str) -> list[str]:
    """A principle with no quotation is said in the bot's own voice, never dressed up as a quote."""
    p = content.principles[principle_id]
    return [] if p.quote is not None else [p.text]


def coaching_choices(content: Content) -> list[Choice]:
    labels = content.messages.choice_labels
    return [
        Choice(label=labels["done"], value="done", primary=True),
        Choice(label=labels["not_quite"], value="not_quite"),
        Choice(label=labels["another_step"], value="another_step"),
        Choice(label=labels["why"], value="why"),
    ]


def _diagnosis_reply(
    content: Content, snap: Snapshot, principle: Principle, step: NextStep | None, lead_in: list[str]
) -> Reply:
    return Reply(
        kind="diagnosis",
        title=headline(content, snap),
        lines=lead_in + why_sentence(content, snap) + principle_lines(content, principle.id),
        quote=quote_for(content, principle.id),
        next_step=step.text if step else None,
        next_step_label=content.say("next_step"),
        follow_up=step.follow_up if step else None,
    )


def first_reply(
    content: Content,
    snap: Snapshot,
    lead_in: list[str] | None = None,
    shown_steps: list[str] = (),
    shown_principles: list[str] = (),
) -> Reply:
    """Fill in the principle and first step on `snap` and build the reply.

    `shown_steps` and `shown_principles` are what this conversation has already shown
    (after *not quite*): they are not offered again while anything else fits.
    """
    advice = advice_for(content, fit_of(content, snap), list(shown_steps), list(shown_principles))
    snap.principle_id = advice.principle.id
    snap.principle_ids = (
        [*shown_principles, advice.principle.id]
        if advice.principle.id not in shown_principles
        else list(shown_principles)
    )
    snap.step_ids = [*shown_steps, advice.step.id] if advice.step else list(shown_steps)
    lines = list(lead_in or [])
    if advice.step is None:
        lines.append(content.messages.no_more_steps)
    return _diagnosis_reply(content, snap, advice.principle, advice.step, lines)


def replay_reply(content: Content, snap: Snapshot) -> Reply:
    """The diagnosis as last shown, rebuilt from labels (used when a conversation moves to a DM)."""
    step = content.next_steps.get(snap.step_ids[-1]) if snap.step_ids else None
    if snap.principle_id in content.principles:
        principle = content.principles[snap.principle_id]
    else:
        principle = principle_for(content, fit_of(content, snap), step)
    return _diagnosis_reply(content, snap, principle, step, [])


def another_step_reply(content: Content, snap: Snapshot) -> Reply | None:
    step = next_step(content, fit_of(content, snap), shown=snap.step_ids)
    if step is None:
        return None
    snap.step_ids.append(step.id)
    return Reply(
        kind="diagnosis",
        title=content.say("another_step"),
        next_step=step.text,
        next_step_label=content.say("next_step"),
        follow_up=step.follow_up,
    )


# --- why? ---------------------------------------------------------------------


def _quiz_lines(content: Content, answers: list[str]) -> list[str]:
    """What the manager chose in the quick test, in plain words: the only evidence when the reading came from it."""
    side_words = {side: content.say(f"quiz_side_{side}") for side in ("lead", "manage", "both", "unsure")}
    said: list[str] = []
    order: str | None = None
    for value in answers:
        _, _, rest = value.partition(":")
        kind, _, choice = rest.partition(":")
        if kind == "side" and choice in side_words:
            said.append(side_words[choice])
        elif kind == "problem" and choice in content.problems:
            said.append(_lower_first(content.problems[choice].choice_label))
        elif kind == "order" and choice in ("lead", "manage"):
            order = choice
    lines = []
    if said:
        lines.append(content.say("quiz_said", answers=_join(content, said)))
    if order:
        label = content.quick_test.order_lead_label if order == "lead" else content.quick_test.order_manage_label
        lines.append(content.say("quiz_order", label=_lower_first(label)))
    return lines


def _join(content: Content, parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return content.say("quiz_join").join(parts[:-1]) + content.say("quiz_join_last") + parts[-1]


def _cue_lines(content: Content, snap: Snapshot) -> list[str]:
    """Cues the message matched that point the way of the diagnosis (both ways when both are needed)."""
    wanted = set(MOVE_PROBLEMS[snap.first_move]) | (
        set(MOVE_PROBLEMS[OTHER_MOVE[snap.first_move]]) if snap.both else set()
    )
    cues = [content.cues[c] for c in snap.signal_ids if c in content.cues and content.cues[c].points_to in wanted]
    return [content.say("cue", says=cue.says, means=cue.means) for cue in cues[:3]]


def _step_line(content: Content, snap: Snapshot) -> str | None:
    step = content.next_steps.get(snap.step_ids[-1]) if snap.step_ids else None
    if step is None:
        return None
    if not step.needs:
        return content.say("general_step")
    sources = {n: said_for(content, n, snap.situations) for n in step.needs}
    named = list(dict.fromkeys(s for s in sources.values() if s in content.situations))
    # Background situations (cases, requests) are not what made the step fit; name them only if nothing else did.
    named = [n for n in named if not content.situations[n].background] or named
    said = [content.situations[n].mentioned for n in named]
    reasons = [content.say("because_mentioned", things=_join_and(content, said))] if said else []
    by_pattern = [n for n, s in sources.items() if s is None]
    if by_pattern and snap.pattern in content.patterns:
        reasons.append(content.say("because_pattern", name=content.patterns[snap.pattern].name.lower()))
    return content.say("step_because", reasons=content.say("reasons_join").join(reasons)) if reasons else None


def _join_and(content: Content, parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + content.say("and") + parts[-1]


def why_reply(content: Content, snap: Snapshot) -> Reply:
    problem = content.problems[snap.problem]
    lines: list[str] = []
    if snap.from_quiz:
        lines.extend(
            _quiz_lines(content, snap.quiz_answers) or [content.say("quiz_told", problem=problem.name.lower())]
        )
    else:
        cue_lines = _cue_lines(content, snap)
        lines.extend(cue_lines or [content.say("no_cue", problem=problem.name.lower())])
    lines.append(
        content.say(
            f"problem_is_{snap.first_move}",
            problem=problem.name,
            problem_lower=problem.name.lower(),
            why=_lower_first(problem.why),
        )
    )
    if snap.pattern and snap.pattern in content.patterns:
        pattern = content.patterns[snap.pattern]
        lines.append(content.say("trap_marks", name=pattern.name.lower(), looks_like=pattern.looks_like))
    step_line = _step_line(content, snap)
    if step_line:
        lines.append(step_line)
    if snap.principle_id and snap.principle_id in content.principles:
        p = content.principles[snap.principle_id]
        lines.append(content.say("principle_in_my_words", text=p.text))
    return Reply(kind="info", title=content.say("why_title"), lines=lines)
