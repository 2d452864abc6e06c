"""Honest quotations: words in quotation marks are words the cited source wrote, under its real name.

Content keeps each source's full text beside it (`content/sources/`), so a quotation can be
checked word for word when content loads, and credited the same way everywhere it is shown.
Typography does not count as a difference (curly or straight quotes, dash styles, line breaks),
and neither does the case of the first letter, as is usual when a quotation starts a sentence.
An ellipsis (... or …) marks words left out: the parts must then appear in order.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from dialogs.content_schema import Quotation, Source

TYPOGRAPHY = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " "}
)
SPACE = re.compile(r"\s+")
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|\u2026)\s*")


def normalise(text: str) -> str:
    return SPACE.sub(" ", text.translate(TYPOGRAPHY)).strip()


def _find(part: str, text: str, start: int) -> int:
    """Where `part` starts in `text` at or after `start`, allowing the first letter either case; -1 if nowhere."""
    at = text.find(part, start)
    if at >= 0 or not part:
        return at
    swapped = part[0].swapcase() + part[1:]
    return text.find(swapped, start)


def is_verbatim(quote: str, source_text: str) -> bool:
    text = normalise(source_text)
    at = 0
    for part in (p for p in ELLIPSIS.split(normalise(quote)) if p):
        found = _find(part, text, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def closest(quote: str, source_text: str) -> str:
    """The stretch of the source nearest to a quotation that is not in it, to help whoever fixes it."""
    text, wanted = normalise(source_text), normalise(quote)
    matcher = difflib.SequenceMatcher(None, text, wanted, autojunk=False)
    block = matcher.find_longest_match(0, len(text), 0, len(wanted))
    start = max(0, block.a - block.b)
    return text[start : start + len(wanted)]


def credit(source: Source) -> str:
    """How a source is named under a quotation: its real title and site, or, without a title, its description."""
    name = source.title or source.description or source.id
    return f"{name} ({source.site})" if source.site else name


def attribution(
    quotation: Quotation, sources: dict[str, Source], quoted_in: str = "{said_by}; quoted in {source}"
) -> str:
    """Who said it and where: `quoted_in` is the phrase from wording.yaml in the reply's language."""
    where = credit(sources[quotation.source])
    return quoted_in.replace("{said_by}", quotation.said_by).replace("{source}", where) if quotation.said_by else where


def read_source(root: Path, source: Source) -> str | None:
    path = root / source.text
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def source_problems(root: Path, source: Source) -> list[tuple[str, str]]:
    """(field, message) for a source whose text is missing, or whose title or site the text does not bear out."""
    text = read_source(root, source)
    if text is None:
        return [("text", f"cannot read {source.text}: keep the source's full text there, so quotations can be checked")]
    out = []
    for field in ("title", "site"):
        value = getattr(source, field)
        if value and normalise(value) not in normalise(text):
            out.append(
                (field, f"{value!r} does not appear in {source.text}: give the source's real {field}, as it gives it")
            )
    return out


def quotation_problem(root: Path, quotation: Quotation, sources: dict[str, Source]) -> tuple[str, str] | None:
    """(field, message) when a quotation cannot be shown honestly, else None."""
    source = sources.get(quotation.source)
    if source is None:
        return "source", f"names a missing source {quotation.source!r} (sources.yaml)"
    text = read_source(root, source)
    if text is None:
        return "text", f"cannot be checked: the text of source {source.id!r} ({source.text}) cannot be read"
    if not is_verbatim(quotation.text, text):
        return (
            "text",
            f"not found word for word in {source.text}; the nearest passage is {closest(quotation.text, text)!r}",
        )
    return None
