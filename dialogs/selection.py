"""Pick the principle and next step that fit a diagnosis and what the message said.

Fit comes first. A step or principle that `needs` a situation (a change under way, a
rota, a backlog...) is only offered when the message mentions it, or the diagnosed
pattern implies it; one with no needs is general and always safe. Among those allowed,
the best fit wins: written for the pattern, then for the problem, then each situation
it needs or suits that the message mentions. Among equally good ones a per-message seed
rotates the choice, so two managers with different messages do not always get the same
step, while the same message always gets the same answer, in every interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.content_loader import Content
from dialogs.content_schema import NextStep, Principle
from dialogs.situations import implied


@dataclass(frozen=True)
class Fit:
    """Everything selection looks at: the diagnosis as labels, and the situations the message mentioned."""

    first_move: str
    problem: str
    pattern: str | None = None
    both: bool = False
    situations: tuple[str, ...] = ()
    seed: int = 0
    known: frozenset[str] = field(default_factory=frozenset)  # situations plus what the pattern implies

    @classmethod
    def of(
        cls, content: Content, first_move: str, problem: str, pattern: str | None, both: bool, situations, seed: int
    ) -> Fit:
        return cls(
            first_move,
            problem,
            pattern,
            both,
            tuple(situations),
            seed,
            frozenset(implied(content, list(situations), pattern)),
        )


def _rotate(items: list, seed: int) -> list:
    if not items:
        return items
    k = seed % len(items)
    return items[k:] + items[:k]


def _ranked(items: list, score, seed: int) -> list:
    """Best score first; ties in a fixed order rotated by the seed."""
    by_score: dict[int, list] = {}
    for item in items:
        by_score.setdefault(score(item), []).append(item)
    out: list = []
    for points in sorted(by_score, reverse=True):
        out.extend(_rotate(by_score[points], seed))
    return out


def _weight(content: Content, fit: Fit, situation: str, said: int, implied: int) -> int:
    """How much a situation in the message makes a pick a better fit: more when the manager said it than when
    only the pattern implies it, nothing for background situations (cases, requests) almost any team has."""
    if situation in content.situations and content.situations[situation].background:
        return 0
    if situation in fit.situations:
        return said
    return implied if situation in fit.known else 0


def fits(item: NextStep | Principle, fit: Fit) -> bool:
    return all(need in fit.known for need in item.needs)


def ranked_steps(content: Content, fit: Fit) -> list[NextStep]:
    """Every step that fits, best first."""
    pattern = fit.pattern

    def relevant(s: NextStep) -> bool:
        return fit.problem in s.problems or bool(pattern and pattern in s.patterns)

    def score(s: NextStep) -> int:
        points = 0
        if pattern and pattern in s.patterns:
            points += 8
        if fit.problem in s.problems:
            points += 4
        # Every need is met, or the step would not be here: a step fitted to what was said beats a general one.
        points += sum(_weight(content, fit, n, 3, 2) for n in s.needs)
        points += sum(_weight(content, fit, n, 1, 1) for n in s.suits)
        return points

    steps = [s for s in content.next_steps.values() if relevant(s) and fits(s, fit)]
    return _ranked(steps, score, fit.seed)


def next_step(content: Content, fit: Fit, shown: list[str]) -> NextStep | None:
    for step in ranked_steps(content, fit):
        if step.id not in shown:
            return step
    return None


def ranked_principles(content: Content, fit: Fit, step: NextStep | None = None) -> list[Principle]:
    pattern = fit.pattern

    def score(p: Principle) -> int:
        points = 0
        if pattern and pattern in p.patterns:
            points += 6
        if fit.problem in p.problems:
            points += 4
        if fit.first_move in p.first_moves:
            points += 1
        if fit.both and {"lead", "manage"} <= set(p.first_moves):
            points += 2
        points += sum(_weight(content, fit, n, 3, 2) for n in p.needs)
        points += sum(_weight(content, fit, n, 1, 1) for n in p.suits)
        if step is not None and step.principle == p.id:
            points += 2
        return points

    allowed = [
        p
        for p in content.principles.values()
        if fits(p, fit) and (fit.problem in p.problems or (pattern and pattern in p.patterns))
    ]
    if not allowed:  # content check guarantees a general principle for every problem; this is belt and braces
        allowed = [p for p in content.principles.values() if not p.needs]
    return _ranked(allowed, score, fit.seed)


def principle_for(
    content: Content, fit: Fit, step: NextStep | None = None, avoid: list[str] | tuple[str, ...] = ()
) -> Principle:
    """The best-fitting principle, skipping any in `avoid` (already shown) while another is left."""
    ranked = ranked_principles(content, fit, step)
    fresh = [p for p in ranked if p.id not in avoid]
    return (fresh or ranked)[0]


@dataclass(frozen=True)
class Advice:
    principle: Principle
    step: NextStep | None


def advice_for(content: Content, fit: Fit, shown_steps: list[str] = (), shown_principles: list[str] = ()) -> Advice:
    """The first principle and step for a diagnosis: the one place chat, Slack, Teams and `leadbot diagnose` all use."""
    step = next_step(content, fit, list(shown_steps))
    principle = principle_for(content, fit, step, avoid=tuple(shown_principles))
    return Advice(principle, step)
