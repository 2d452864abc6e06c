"""Term matching: the literal gate in front of each regular expression never loses a match.

A content author's expression that is skipped on a message it matches would silently drop a
sensitive term or a situation, so the gate is checked against every training message for every
expression the packaged content ships, and against hand-made cases of each construct it reads.
"""

from __future__ import annotations

import re

import pytest

from dialogs.diagnosis.normalise import clean, expand
from dialogs.terms import TermMatcher, gate_for, literal_starts


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


@pytest.mark.parametrize(
    "expression, text, runs",
    [
        (r"\bstand ?-?ups?\b", "the standup ran long", True),
        (r"\bstand ?-?ups?\b", "we understand", False),  # "stand" inside a word: \b cannot match there
        (r"\bgo-live\b", "the go-live is friday", True),
        (r"suicid", "parasuicidal", True),  # no \b: the start may be anywhere
        (r"(?a)\bnew system", "café new system", True),
    ],
)
def test_the_gate_opens_where_a_match_could_start(expression, text, runs):
    pattern = re.compile(expression)
    gate = gate_for(pattern)
    assert gate is not None and gate.open_for(text) is runs
    if not runs:
        assert pattern.search(text) is None


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
        gated = [(p, gate) for p, _label, gate in matcher.regexes if gate is not None]
        if name != "figures of speech":
            assert gated, f"{name}: no expression is gated, so the gate is not working"
        for pattern, gate in gated:
            for text in texts:
                if pattern.search(text):
                    assert gate.open_for(text), f"{name}: /{pattern.pattern}/ would be skipped on a match"
