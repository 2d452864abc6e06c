"""The small phrase syntax content authors use for escalation terms and cues, and a fast matcher for it.

- `picking on` matches those words, whole, in any case, with any spacing or punctuation between;
- `harass*` matches any ending (harass, harassed, harassment);
- `/\\bsuicid\\w*/` between slashes is a Python regular expression, for the rare case
  the simple forms cannot say it.
Matching runs over normalised text (lower case, straight apostrophes).

Hundreds of phrases in one regular expression cost milliseconds a message
(Python's engine tries every alternative at every position), so plain phrases
are indexed by their first word instead: a message is read once, word by word,
and only phrases that start with that word are tried. Each regular expression
is gated the same way: the literal text any match must start with ("new",
"latest", ... for `/\b(new|latest) .../`) is worked out once, and the
expression runs only on a message that contains one of them. Most of the
content's 300 expressions then never run on a given message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from re import _parser as sre_parse  # the stdlib's own parser of patterns; the only way to read one's structure

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def is_regex(term: str) -> bool:
    term = term.strip()
    return len(term) >= 2 and term.startswith("/") and term.endswith("/")


def _base(word: str) -> str:
    """A word without its possessive: "policy's" is read as "policy", "client's" as "client"."""
    return word[:-2] if word.endswith("'s") else word


def words_of(term: str) -> list[tuple[str, bool]]:
    """A plain term as (word, is_prefix) pairs, split the same way messages are."""
    out: list[tuple[str, bool]] = []
    for raw in term.lower().replace("\u2019", "'").split():
        star = raw.endswith("*")
        pieces = WORD.findall(raw.rstrip("*"))
        for i, piece in enumerate(pieces):
            out.append((_base(piece), star and i == len(pieces) - 1))
    return out


def term_error(term: str) -> str | None:
    """Why a term cannot be used, or None if it is fine."""
    if not term.strip():
        return "empty term"
    if is_regex(term):
        try:
            compiled = re.compile(term.strip()[1:-1])
        except re.error as exc:
            return f"not a valid regular expression: {exc}"
        if compiled.search(""):
            return "matches empty text, so it would match every message"
        return None
    if not words_of(term):
        return "has no words to match"
    return None


_ZERO_WIDTH = {sre_parse.AT, sre_parse.ASSERT, sre_parse.ASSERT_NOT}
_MAX_STARTS = 64  # more alternatives than this at the start: not worth gating, always run


def _starts(items, prefixes: set[str]) -> tuple[set[str], bool]:
    """Extend `prefixes` by the literal text `items` must match next. True once no longer literal."""
    for op, arg in items:
        if op in _ZERO_WIDTH:
            continue  # \b, lookarounds: they consume nothing
        if op is sre_parse.LITERAL:
            prefixes = {p + chr(arg) for p in prefixes}
        elif op is sre_parse.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                return prefixes, True  # (?i) and friends: a literal may not mean itself
            prefixes, done = _starts(sub, prefixes)
            if done:
                return prefixes, True
        elif op is sre_parse.BRANCH:
            merged: set[str] = set()
            finished = False
            for alternative in arg[1]:
                got, done = _starts(alternative, prefixes)
                merged |= got
                finished = finished or done
            prefixes = merged
            if finished or len(prefixes) > _MAX_STARTS:
                return prefixes, True
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT):
            low, _high, sub = arg
            if low:
                prefixes, _ = _starts(sub, prefixes)
            return prefixes, True
        else:
            return prefixes, True  # a class, a dot, a back-reference: the literal start ends here
    return prefixes, False


def _at_word_start(items) -> bool:
    """True if the expression opens with \\b (after any lookbehind): every match begins a run of word characters."""
    for op, arg in items:
        if op is sre_parse.AT:
            return arg is sre_parse.AT_BOUNDARY
        if op not in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            return False
    return False


GATE_CHARS = 6  # word starts are compared on their first six characters: selective enough, and a small set
RUN = re.compile(r"\w+")


@dataclass(frozen=True)
class Gate:
    """What a message must contain for an expression to be worth running on it."""

    starts: frozenset[str]
    word_start: bool  # the starts begin a run of word characters, and are cut to GATE_CHARS

    def open_for(self, text: str) -> bool:
        if self.word_start:
            return not self.starts.isdisjoint(_word_starts(text))
        return any(start in text for start in self.starts)


def gate_for(pattern: re.Pattern[str]) -> Gate | None:
    """The gate for an expression, or None if what its matches start with cannot be told."""
    parsed = _parsed(pattern)
    starts = _literal_starts(parsed)
    if starts is None:
        return None
    cut = [RUN.match(s) for s in starts]
    # Under re.ASCII, \b may fall inside what RUN reads as one word ("café" + "n..."): compare whole texts.
    if not pattern.flags & re.ASCII and _at_word_start(parsed) and all(cut):
        return Gate(frozenset(m.group()[:GATE_CHARS] for m in cut), word_start=True)
    return Gate(starts, word_start=False)


@lru_cache(maxsize=16)
def _word_starts(text: str) -> frozenset[str]:
    """The first 1 to GATE_CHARS characters of every run of word characters in a text."""
    return frozenset(run[:k] for run in RUN.findall(text) for k in range(1, min(len(run), GATE_CHARS) + 1))


def literal_starts(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Texts one of which every match of `pattern` begins with, or None if it cannot be told."""
    return _literal_starts(_parsed(pattern))


def _parsed(pattern: re.Pattern[str]):
    """The expression as the stdlib's parser reads it; None where a literal may not mean itself (case folded)."""
    return None if pattern.flags & re.IGNORECASE else sre_parse.parse(pattern.pattern, pattern.flags)


def _literal_starts(parsed) -> frozenset[str] | None:
    if parsed is None:
        return None
    try:
        prefixes, _ = _starts(parsed, {""})
    except Exception:  # an unusual construct the walk does not know: run the expression always
        return None
    if "" in prefixes or len(prefixes) > _MAX_STARTS:
        return None
    return frozenset(prefixes)


@lru_cache(maxsize=16)
def _tokens(text: str) -> tuple[tuple[str, int, int], ...]:
    """A text's words (without possessives) and where they are. Cached: every matcher reads the same message."""
    return tuple((_base(m.group()), m.start(), m.end()) for m in WORD.finditer(text))


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    label: str


class TermMatcher:
    """Finds which labelled terms occur in a text. Labels are topic or cue ids."""

    def __init__(self, labelled_terms: list[tuple[str, str]], normalise=None):
        """`normalise` is applied to plain terms, so they are spelt as the text they are matched against
        (the diagnosis spells out contractions: a term "won't cope" must become "will not cope")."""
        self.exact: dict[str, list[tuple[list[tuple[str, bool]], str]]] = {}
        self.prefix: dict[str, list[tuple[list[tuple[str, bool]], str]]] = {}
        # (expression, label, what a message needs for it to be run: None to run it always)
        self.regexes: list[tuple[re.Pattern[str], str, Gate | None]] = []
        seen: set[tuple[str, str]] = set()
        for label, term in labelled_terms:
            if is_regex(term):
                compiled = re.compile(term.strip()[1:-1])
                self.regexes.append((compiled, label, gate_for(compiled)))
                continue
            plain = normalise(term.lower()) if normalise else term
            if (label, plain) in seen:
                continue  # "won't cope" and "will not cope" are now the same term
            seen.add((label, plain))
            words = words_of(plain)
            if not words:
                continue
            first, star = words[0]
            (self.prefix if star else self.exact).setdefault(first, []).append((words, label))
        self.prefix_lengths = sorted({len(k) for k in self.prefix})

    def find(self, text: str, blocked: list[tuple[int, int]] = ()) -> list[Hit]:
        """Every match, in order of position. Matches overlapping a blocked span are dropped."""
        tokens = _tokens(text)
        hits: list[Hit] = []
        exact, prefix, lengths = self.exact, self.prefix, self.prefix_lengths
        for i, (tok, start, _) in enumerate(tokens):
            groups = [exact.get(tok, ())]
            for k in lengths:
                if k > len(tok):
                    break
                groups.append(prefix.get(tok[:k], ()))
            for group in groups:
                for words, label in group:
                    # The first word matched by the lookup itself; only the rest are compared.
                    n = len(words)
                    if n > 1 and (
                        i + n > len(tokens)
                        or not all(
                            (tokens[i + j][0].startswith(w) if star else tokens[i + j][0] == w)
                            for j, (w, star) in enumerate(words[1:], start=1)
                        )
                    ):
                        continue
                    hits.append(Hit(start, tokens[i + n - 1][2], label))
        for pattern, label, gate in self.regexes:
            if gate is not None and not gate.open_for(text):
                continue
            hits.extend(Hit(m.start(), m.end(), label) for m in pattern.finditer(text))
        if blocked:
            hits = [h for h in hits if not any(h.start < b_end and b_start < h.end for b_start, b_end in blocked)]
        return sorted(hits, key=lambda h: (h.start, h.end))

    def labels(self, text: str, blocked: list[tuple[int, int]] = ()) -> list[str]:
        """Labels found, each once, in order of first appearance."""
        seen: dict[str, None] = {}
        for hit in self.find(text, blocked):
            seen.setdefault(hit.label, None)
        return list(seen)
