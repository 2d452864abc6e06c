"""Term matching: the literal gate in front of each regular expression never loses a match.

A content author's expression that is skipped on a message it matches would silently drop a
sensitive term or a situation, so the gate is checked against every training message for every
expression the packaged content ships, and against hand-made cases of each construct it reads.
"""

from __future__ import annotations

import re

import pytest

from dialogs.diagnosis.normalise import clean, expand
from dialogs.terms import TermMatcher, literal_starts


@pytest.mark.parametrize(
    "expression, starts",
    [
        (r"\bsuicid\w*", {"suicid"}),
        (r"\b(new|latest) (\w+ ){0,4}system\b", {"new ", "latest "}),
        (r"(?<!nothing )\b(has|have) changed\b", {"has changed", "have changed"}),
        (r"\bstand ?-?ups?\b", {"stand"}),
        (r"\b(the |our )?actions\b", None),  # may start with "actions": no single start to require
        (r"\b\d+ behind\b", None),  # starts with a digit, not a literal
        (r"(?i)\bbully", None),  # case folded: "Bully" must not be skipped for want of "bully"
    ],
)
def test_what_every_match_starts_with(expression, starts):
    got = literal_starts(re.compile(expression))
    assert (set(got) if got is not None else None) == starts


def test_a_gated_expression_still_finds_what_it_matches():
    matcher = TermMatcher([("rollout", r"/\b(new|latest) (\w+ ){0,2}system\b/"), ("later", r"/\bstand ?-?ups?\b/")])
    text = "the latest case system is slow and the stand-up overruns"
    assert [(text[h.start : h.end], h.label) for h in matcher.find(text)] == [
        ("latest case system", "rollout"),
        ("stand-up", "later"),
    ]
    assert matcher.find("nothing here about that") == []


def _matchers(content):
    from dialogs.diagnosis.escalation import EscalationLexicon
    from dialogs.situations import SituationReader

    lexicon = EscalationLexicon(content.escalation)
    cues = TermMatcher([(c.id, t) for c in content.cues.values() for t in c.terms], normalise=expand)
    return {
        "escalation terms": lexicon.terms,
        "figures of speech": lexicon.figures,
        "cues": cues,
        "situations": SituationReader(content).matcher,
    }


def test_the_gate_skips_no_match_of_the_packaged_expressions(content):
    texts = [expand(clean(e.text)) for e in content.training]
    for name, matcher in _matchers(content).items():
        gated = [(p, starts) for p, _label, starts in matcher.regexes if starts is not None]
        if name != "figures of speech":
            assert gated, f"{name}: no expression is gated, so the gate is not working"
        for pattern, starts in gated:
            for text in texts:
                if pattern.search(text):
                    assert any(s in text for s in starts), f"{name}: /{pattern.pattern}/ would be skipped on a match"
