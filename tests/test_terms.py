"""The term matcher's one search for all of its regular-expression terms (dialogs.terms._any_of).

It only lets the matcher skip searching each pattern when none of them can match, so
what the matcher finds must be the same with it as without it, on every message.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

from dialogs.terms import TermMatcher, is_regex

ROOT = Path(__file__).resolve().parent.parent


def _regex_terms(value) -> list[str]:
    if isinstance(value, str):
        return [value] if is_regex(value) else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [term for item in items for term in _regex_terms(item)]


def _messages() -> list[str]:
    texts = [
        json.loads(line)["text"]
        for name in ("eval_en.jsonl", "eval_cy.jsonl", "holdout.jsonl")
        for line in (ROOT / "benchmarks" / "data" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [t.lower().replace("\u2019", "'") for t in texts] + ["", "help", "thanks"]


def _each_searched(matcher: TermMatcher) -> TermMatcher:
    plain = copy.copy(matcher)
    plain.any_regex = None
    return plain


def test_every_content_regex_term_is_found_as_when_each_is_searched_on_its_own():
    terms = sorted(
        {t for f in (ROOT / "content").rglob("*.yaml") for t in _regex_terms(yaml.safe_load(f.read_text("utf-8")))}
    )
    assert len(terms) > 100, "the content's regular-expression terms were read"
    matcher = TermMatcher([(f"t{i}", term) for i, term in enumerate(terms)])
    assert matcher.any_regex is not None, "the content's patterns can be joined"
    plain = _each_searched(matcher)
    messages = _messages()
    found = [matcher.find(text) for text in messages]
    assert found == [plain.find(text) for text in messages]
    assert sum(map(bool, found)) > 20, "messages that match some terms were among them"


def test_patterns_that_cannot_be_joined_are_each_searched():
    backreference = TermMatcher([("a", r"/\b(\w+) \1\b/"), ("b", r"/\bsame\b/")])
    named_twice = TermMatcher([("a", r"/(?P<w>late)/"), ("b", r"/(?P<w>early)/")])
    assert backreference.any_regex is None and named_twice.any_regex is None
    assert [h.label for h in backreference.find("the the same")] == ["a", "b"]
    assert [h.label for h in named_twice.find("late or early")] == ["a", "b"]
