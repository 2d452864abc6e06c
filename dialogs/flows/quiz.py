"""The guided quick test: at most four short questions, then a diagnosis from the answers.

1. direction or delivery (or both, or not sure)?
2. lead side: uncertainty or confidence?      (skipped when the answer was delivery)
3. manage side: inconsistency or control?     (skipped when the answer was direction)
4. both: which is hurting the service more right now?
"Not sure" at step 1 goes straight to one question offering all four problems.
"""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.models import Choice, Reply
from dialogs.state import Quiz, Snapshot

LEAD_PROBLEMS = ("uncertainty", "confidence")
MANAGE_PROBLEMS = ("inconsistency", "control")


def _problem_choices(content: Content, ids: tuple[str, ...]) -> list[Choice]:
    return [Choice(label=content.problems[p].choice_label, value=f"quiz:problem:{p}") for p in ids]


def question(content: Content, quiz: Quiz) -> Reply:
    qt = content.quick_test
    n = quiz.asked + 1
    title = content.say("quiz_title", n=n)
    if quiz.stage == "side":
        choices = [
            Choice(label=qt.side_lead_label, value="quiz:side:lead"),
            Choice(label=qt.side_manage_label, value="quiz:side:manage"),
            Choice(label=qt.side_both_label, value="quiz:side:both"),
            Choice(label=qt.side_unsure_label, value="quiz:side:unsure"),
        ]
        lines = [qt.intro, qt.side_question] if quiz.asked == 0 else [qt.side_question]
    elif quiz.stage == "lead":
        choices, lines = _problem_choices(content, LEAD_PROBLEMS), [qt.lead_question]
    elif quiz.stage == "manage":
        choices, lines = _problem_choices(content, MANAGE_PROBLEMS), [qt.manage_question]
    elif quiz.stage == "any":
        choices, lines = _problem_choices(content, LEAD_PROBLEMS + MANAGE_PROBLEMS), [qt.any_question]
    else:
        choices = [
            Choice(label=qt.order_lead_label, value="quiz:order:lead"),
            Choice(label=qt.order_manage_label, value="quiz:order:manage"),
        ]
        lines = [qt.order_question]
    return Reply(kind="question", title=title, lines=lines, choices=choices)


def answer(quiz: Quiz, value: str) -> Quiz | Snapshot | None:
    """Apply one answer. Returns the next quiz state, a finished diagnosis, or None if the value does not fit."""
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != "quiz":
        return None
    _, kind, choice = parts
    quiz = quiz.model_copy(update={"asked": quiz.asked + 1})
    if quiz.stage == "side" and kind == "side" and choice in ("lead", "manage", "both", "unsure"):
        quiz.side = choice  # type: ignore[assignment]
        quiz.stage = {"lead": "lead", "manage": "manage", "both": "lead", "unsure": "any"}[choice]  # type: ignore[assignment]
        return quiz
    if kind != "problem" and kind != "order":
        return None
    if quiz.stage == "lead" and kind == "problem" and choice in LEAD_PROBLEMS:
        quiz.lead_problem = choice  # type: ignore[assignment]
        if quiz.side == "both":
            quiz.stage = "manage"
            return quiz
        return _finish(quiz, "lead", both=False)
    if quiz.stage == "manage" and kind == "problem" and choice in MANAGE_PROBLEMS:
        quiz.manage_problem = choice  # type: ignore[assignment]
        if quiz.side == "both":
            quiz.stage = "order"
            return quiz
        return _finish(quiz, "manage", both=False)
    if quiz.stage == "any" and kind == "problem" and choice in LEAD_PROBLEMS + MANAGE_PROBLEMS:
        if choice in LEAD_PROBLEMS:
            quiz.lead_problem = choice  # type: ignore[assignment]
            return _finish(quiz, "lead", both=False)
        quiz.manage_problem = choice  # type: ignore[assignment]
        return _finish(quiz, "manage", both=False)
    if quiz.stage == "order" and kind == "order" and choice in ("lead", "manage"):
        return _finish(quiz, choice, both=True)
    return None


def _finish(quiz: Quiz, first_move: str, both: bool) -> Snapshot:
    problem = quiz.lead_problem if first_move == "lead" else quiz.manage_problem
    assert problem is not None
    return Snapshot(
        first_move=first_move,  # type: ignore[arg-type]
        problem=problem,
        both=both,
        pattern=quiz.pattern,
        confidence=1.0,
        from_quiz=True,
        seed=quiz.seed,
    )
