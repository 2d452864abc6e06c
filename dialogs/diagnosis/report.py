"""A diagnosis as the JSON record `leadbot diagnose --jsonl` writes (design.md's contract)."""

from __future__ import annotations

from typing import Any

from dialogs.content_loader import Content
from dialogs.diagnosis.types import Diagnosis
from dialogs.selection import next_step, principle_for


def record(content: Content, item_id: str, d: Diagnosis) -> dict[str, Any]:
    principle = step = None
    if d.first_move in ("lead", "manage") and d.problem:
        s = next_step(content, d.problem, d.pattern, d.seed, shown=[])
        p = principle_for(content, d.first_move, d.problem, d.pattern, d.both, d.seed, s)
        principle = {"id": p.id, "text": p.quote or p.text, "source": p.source}
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
