"""The coaching reply: what the team needs first, the principle, one next step.

Also *another step* and *why?*, which follow the last diagnosis in the state.
"""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.models import Choice, Quote, Reply
from dialogs.selection import next_step, principle_for
from dialogs.state import Snapshot

OTHER_MOVE = {"lead": "manage", "manage": "lead"}


def headline(content: Content, snap: Snapshot) -> str:
    names = content.messages.move_names
    first = names[snap.first_move]
    if snap.both:
        return f"Both: {first} first, then {names[OTHER_MOVE[snap.first_move]]}"
    return f"{first[:1].upper()}{first[1:]} first"


def why_sentence(content: Content, snap: Snapshot) -> list[str]:
    lines = [content.problems[snap.problem].why]
    if snap.pattern:
        pattern = content.patterns[snap.pattern]
        lines.append(f"It also looks like a common trap, {pattern.name.lower()}: {pattern.advice}")
    if snap.both:
        other = content.messages.move_names[OTHER_MOVE[snap.first_move]]
        lines.append(f"Once that is steadier, the team will need {other} too.")
    return lines


def quote_for(content: Content, principle_id: str) -> Quote:
    p = content.principles[principle_id]
    return Quote(text=p.quote or p.text, source=p.source)


def coaching_choices(content: Content) -> list[Choice]:
    labels = content.messages.choice_labels
    return [
        Choice(label=labels["done"], value="done", primary=True),
        Choice(label=labels["not_quite"], value="not_quite"),
        Choice(label=labels["another_step"], value="another_step"),
        Choice(label=labels["why"], value="why"),
    ]


def first_reply(content: Content, snap: Snapshot) -> Reply:
    """Fill in the principle and first step on `snap` and build the reply."""
    step = next_step(content, snap.problem, snap.pattern, snap.seed, shown=[])
    principle = principle_for(content, snap.first_move, snap.problem, snap.pattern, snap.both, snap.seed, step)
    snap.principle_id = principle.id
    snap.step_ids = [step.id] if step else []
    return Reply(
        kind="diagnosis",
        title=headline(content, snap),
        lines=why_sentence(content, snap),
        quote=quote_for(content, principle.id),
        next_step=step.text if step else None,
        follow_up=step.follow_up if step else None,
    )


def replay_reply(content: Content, snap: Snapshot) -> Reply:
    """The diagnosis as last shown, rebuilt from labels (used when a conversation moves to a DM)."""
    step = content.next_steps.get(snap.step_ids[-1]) if snap.step_ids else None
    principle_id = snap.principle_id if snap.principle_id in content.principles else None
    if principle_id is None:
        principle_id = principle_for(content, snap.first_move, snap.problem, snap.pattern, snap.both, snap.seed, step).id
    return Reply(
        kind="diagnosis",
        title=headline(content, snap),
        lines=why_sentence(content, snap),
        quote=quote_for(content, principle_id),
        next_step=step.text if step else None,
        follow_up=step.follow_up if step else None,
    )


def another_step_reply(content: Content, snap: Snapshot) -> Reply | None:
    step = next_step(content, snap.problem, snap.pattern, snap.seed, shown=snap.step_ids)
    if step is None:
        return None
    snap.step_ids.append(step.id)
    return Reply(kind="diagnosis", title="Another step", next_step=step.text, follow_up=step.follow_up)


def why_reply(content: Content, snap: Snapshot) -> Reply:
    problem = content.problems[snap.problem]
    move = content.messages.move_names[snap.first_move]
    lines: list[str] = []
    if snap.from_quiz:
        lines.append(f"You told me in the quick test that this is about {problem.name.lower()}: {problem.question.rstrip('?').lower()}.")
    else:
        cues = [content.cues[c] for c in snap.signal_ids if c in content.cues]
        for cue in cues[:3]:
            lines.append(f"You said {cue.says}: {cue.means}.")
        if not cues:
            lines.append(f"No single phrase gave it away, but the message as a whole reads most like {problem.name.lower()}.")
    lines.append(f"{problem.name} is a {move} problem: {problem.why}")
    if snap.pattern:
        pattern = content.patterns[snap.pattern]
        lines.append(f"It also sounds like {pattern.name.lower()}: {pattern.looks_like}")
    if snap.principle_id and snap.principle_id in content.principles:
        p = content.principles[snap.principle_id]
        lines.append(f"The principle behind it: {p.text}")
    return Reply(kind="info", title="Why I said that", lines=lines)
