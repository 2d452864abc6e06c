"""Which escalation topic a sensitive message is about, and whether the bot can tell.

A topic decides whom the manager is told to contact, so it is chosen on
evidence, never by position in a list:
- each topic scores the model's topic probability, plus `TERM_WEIGHT` when one
  of its terms from escalation.yaml appears in the message; a topic the model
  is fairly sure of (`MODEL_CANDIDATE_AT`) competes with the terms' topics,
  so "bruises" (a domestic-abuse term) in a message about a care-home resident
  can still be read as safeguarding an adult;
- when a term of an urgent topic appears, an urgent topic is chosen whatever
  else is found: bullying *and* a hint of self-harm must get the urgent line;
- a topic whose term appears is chosen over those it `outranks` (a father
  "threatened to kill his daughter" is a child's safeguarding, not a threat
  against staff, whatever the reader makes of "threatened to kill");
- without a term, the model's choice stands when it is clear enough
  (`SURE_AT`, higher for urgent topics, whose reply leads with 999 and
  Samaritans: that wording needs real signs of risk, not a guess);
- otherwise the bot is honest that it cannot tell: the reply gives the routes
  every sensitive matter shares and those of the two likeliest topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.content_schema import EscalationTopic

TERM_WEIGHT = 0.15
MODEL_CANDIDATE_AT = 0.4
SURE_AT = 0.5
SURE_URGENT_AT = 0.6
ALTERNATIVES = 2


@dataclass(frozen=True)
class TopicChoice:
    topic: str | None  # the likeliest topic (set whenever there are topics to choose from)
    sure: bool  # True: show this topic's block; False: the general block with `alternatives`
    alternatives: list[str] = field(default_factory=list)  # likeliest first


def choose_topic(term_topics: list[str], probs: dict[str, float], topics: dict[str, EscalationTopic]) -> TopicChoice:
    named = [t for t in term_topics if t in topics]
    ranked = sorted(probs, key=lambda t: -probs[t])
    if named:
        candidates = set(named) | {t for t in ranked[:1] if probs[t] >= MODEL_CANDIDATE_AT}
        if any(topics[t].urgent for t in named):
            candidates = {t for t in candidates if topics[t].urgent}
        outranked = {o for t in named for o in topics[t].outranks}
        candidates = candidates - outranked or candidates

        def score(t: str) -> float:
            return probs.get(t, 0.0) + (TERM_WEIGHT if t in named else 0.0)

        best = max(sorted(candidates), key=score)
        others = sorted((t for t in set(named) | set(ranked[:ALTERNATIVES]) if t != best), key=lambda t: -score(t))
        return TopicChoice(best, True, [best, *others][:ALTERNATIVES])
    if not ranked:
        return TopicChoice(None, False, [])
    best = ranked[0]
    bar = SURE_URGENT_AT if topics[best].urgent else SURE_AT
    return TopicChoice(best, probs[best] >= bar, ranked[:ALTERNATIVES])
