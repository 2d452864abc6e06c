"""Is this reply free of English? A checker for the Welsh conversation tests.

It flags common English words (function words and the bot's own stock words), which
no Welsh sentence of ours contains, outside what is allowed to stay English:
- words in curly quotation marks: a quotation keeps the language of its source;
- a source's credit (after an em dash): real titles stay as published;
- a Slack block quote (a line starting with ">"), which is how Slack shows a quotation;
- a command in single quotes or backticks ('forget me', `/leadbot help`): the words the bot understands;
- {names} the bot fills in, and {{CONTACTS}} an organisation fills in;
- proper names (leadbot, Slack, Teams, Samaritans...), which contain none of these words anyway.
"help" is not on the list: it is a Welsh word too ("help brys").
"""

from __future__ import annotations

import re

ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "was",
        "were",
        "to",
        "of",
        "you",
        "your",
        "with",
        "for",
        "this",
        "that",
        "what",
        "why",
        "how",
        "not",
        "will",
        "can",
        "it",
        "in",
        "on",
        "we",
        "they",
        "have",
        "has",
        "or",
        "if",
        "from",
        "by",
        "our",
        "their",
        "there",
        "about",
        "which",
        "who",
        "would",
        "should",
        "please",
        "thanks",
        "yes",
        "next",
        "step",
        "team",
        "work",
        "because",
        "but",
        "more",
        "first",
        "then",
        "only",
        "when",
        "been",
        "being",
        "into",
    ]
)
PLACEHOLDER = re.compile(r"\{\{?[a-zA-Z_]+\}?\}")  # {names} the bot fills in, {{CONTACTS}} an organisation does
QUOTED = re.compile(r"\u201c[^\u201d]*\u201d")  # “...”
COMMAND = re.compile(r"(?<![\w\u2019'])'[^'\n]*'(?![\w])|`[^`]*`")  # 'forget me', `/leadbot help`
WORD = re.compile(r"[^\W\d_]+")


def english_in(text: str) -> list[str]:
    """The English words in `text`, outside quotations, source credits and commands."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith((">", "&gt;")):
            continue  # a quotation as Slack shows it, in a block quote
        line = line.split("\u2014")[0]  # "— <the source's real title>": our Welsh never uses an em dash
        line = COMMAND.sub(" ", QUOTED.sub(" ", PLACEHOLDER.sub(" ", line.replace("\u2019", "'"))))
        found.extend(w for w in WORD.findall(line) if w.lower() in ENGLISH_WORDS)
    return found


def assert_no_english(texts: list[str], where: str = "") -> None:
    bad = {t: english_in(t) for t in texts if english_in(t)}
    assert not bad, f"English in a Welsh reply{' (' + where + ')' if where else ''}: {bad}"
