"""A diagnosis as the JSON record `leadbot diagnose --jsonl` writes (design.md's contract)."""

from __future__ import annotations

from typing import Any

from dialogs.content_loader import Content
from dialogs.diagnosis.types import Diagnosis
from dialogs.quotations import attribution
from dialogs.selection import Fit, advice_for


def record(content: Content, item_id: str, d: Diagnosis) -> dict[str, Any]:
    """The principle and step are the ones a conversation shows for the same message: same selection, same situations."""
    principle = step = None
    if d.first_move in ("lead", "manage") and d.problem:
        advice = advice_for(content, Fit.of(content, d.first_move, d.problem, d.pattern, d.both, d.situations, d.seed))
        p, s = advice.principle, advice.step
        if p.quote is not None:
            principle = {"id": p.id, "text": p.quote.text, "source": attribution(p.quote, content.sources)}
        else:  # the bot's own words: no source to claim
            principle = {"id": p.id, "text": p.text, "source": None}
        step = {"id": s.id, "text": s.text} if s else None
    return {
        "id": item_id,
        "first_move": d.first_move,
        "problem": d.problem,
        "both": d.both,
        "pattern": d.pattern,
        "topic": d.topic if d.first_move == "escalate" else None,
        "confidence": round(d.confidence, 4),
        "principle": principle,
        "next_step": step,
    }
