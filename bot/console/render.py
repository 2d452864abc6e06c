"""A Reply as terminal text: short lines, the quotation, numbered choices."""

from __future__ import annotations

import textwrap

from bot import platform_words
from bot.textbars import tally_lines
from dialogs.models import Reply

WIDTH = 78


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


def render(reply: Reply, words: platform_words.Words | None = None) -> str:
    """`words`: the phrases of the reply's language (Content.in_language(reply.language).wording)."""
    words = platform_words.of(words)
    lines: list[str] = []
    if reply.title:
        lines.append(reply.title.upper() if reply.kind == "diagnosis" else reply.title)
    for line in reply.lines:
        lines.extend(_wrap(line))
    if reply.tally:
        lines.extend(f"  {line}" for line in tally_lines(reply.tally))
    if reply.quote:
        lines.extend(_wrap(f"\u201c{reply.quote.text}\u201d", "  "))
        lines.extend(_wrap(f"\u2014 {reply.quote.source}", "    "))
        if reply.quote.translation:
            lines.extend(_wrap(reply.quote.translation, "  "))
    if reply.next_step:
        lines.extend(_wrap(f"{reply.next_step_label}: {reply.next_step}"))
    if reply.follow_up:
        lines.extend(_wrap(reply.follow_up))
    if reply.table:
        for what, why, how_long in reply.table:
            lines.extend(_wrap(f"- {what}", ""))
            lines.extend(_wrap(f"{words['console_why']} {why} {how_long}", "    "))
    if reply.choices:
        lines.append("")
        lines.extend(f"  {n}) {c.label}" for n, c in enumerate(reply.choices, start=1))
    return "\n".join(lines)
