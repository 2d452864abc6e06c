"""Pick the principle and next step that fit a diagnosis.

The best fit comes first (a step written for the pattern beats one written only
for the problem); among equally good ones a per-message seed rotates the
choice, so two managers with different messages do not always get the same
step, while the same message always gets the same answer.
"""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.content_schema import NextStep, Principle


def _rotate(items: list, seed: int) -> list:
    if not items:
        return items
    k = seed % len(items)
    return items[k:] + items[:k]


def ranked_steps(content: Content, problem: str, pattern: str | None, seed: int) -> list[NextStep]:
    """Every step that fits, best first: pattern and problem, then pattern, then problem."""
    steps = list(content.next_steps.values())
    tiers: list[list[NextStep]] = []
    if pattern:
        tiers.append([s for s in steps if pattern in s.patterns and problem in s.problems])
        tiers.append([s for s in steps if pattern in s.patterns and problem not in s.problems])
    tiers.append([s for s in steps if problem in s.problems and not (pattern and pattern in s.patterns)])
    ranked: list[NextStep] = []
    for tier in tiers:
        ranked.extend(_rotate(tier, seed))
    return ranked


def next_step(content: Content, problem: str, pattern: str | None, seed: int, shown: list[str]) -> NextStep | None:
    for step in ranked_steps(content, problem, pattern, seed):
        if step.id not in shown:
            return step
    return None


def principle_for(content: Content, first_move: str, problem: str, pattern: str | None, both: bool, seed: int, step: NextStep | None = None) -> Principle:
    principles = list(content.principles.values())

    def score(p: Principle) -> int:
        points = 0
        if pattern and pattern in p.patterns:
            points += 4
        if problem in p.problems:
            points += 3
        if first_move in p.first_moves:
            points += 1
        if both and {"lead", "manage"} <= set(p.first_moves):
            points += 2
        if step is not None and step.principle == p.id:
            points += 1
        return points

    best = max(score(p) for p in principles)
    return _rotate([p for p in principles if score(p) == best], seed)[0]
