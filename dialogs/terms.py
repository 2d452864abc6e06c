"""The small phrase syntax content authors use for escalation terms and cues.

- `picking on` matches those words, whole, in any case, with any spacing;
- `harass*` matches any ending (harass, harassed, harassment);
- `/\\bsuicid\\w*/` between slashes is a Python regular expression, for the rare case
  the simple forms cannot say it.
Matching runs over normalised text (lower case, straight apostrophes).
"""

from __future__ import annotations

import re


def term_pattern(term: str) -> str:
    term = term.strip()
    if len(term) >= 2 and term.startswith("/") and term.endswith("/"):
        return term[1:-1]
    words = term.lower().replace("\u2019", "'").split()
    parts = []
    for word in words:
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word))
    return r"(?<!\w)" + r"\s+".join(parts) + (r"" if words and words[-1].endswith("*") else r"(?!\w)")


def term_error(term: str) -> str | None:
    """Why a term cannot be used, or None if it is fine."""
    if not term.strip():
        return "empty term"
    try:
        compiled = re.compile(term_pattern(term))
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    if compiled.search(""):
        return "matches empty text, so it would match every message"
    return None


def compile_terms(terms: list[str]) -> re.Pattern[str] | None:
    """One alternation over many terms; None if the list is empty."""
    if not terms:
        return None
    return re.compile("|".join(f"(?:{term_pattern(t)})" for t in terms))
