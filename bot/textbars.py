"""Bars drawn with text, for terminals, Slack messages and cards alike: `███████░░░`."""

from __future__ import annotations

FULL = "\u2588"
EMPTY = "\u2591"
WIDTH = 10


def bar(value: int | float, maximum: int | float, width: int = WIDTH) -> str:
    """`width` cells, filled in proportion to value/maximum; never empty for a value above 0."""
    filled = 0 if maximum <= 0 or value <= 0 else max(1, round(width * min(value, maximum) / maximum))
    return FULL * filled + EMPTY * (width - filled)


def tally_lines(tally, width: int = WIDTH) -> list[str]:
    """Poll results as `██████░░░░ More meaning 3`: each bar is that option's share of all votes."""
    total = sum(t.count for t in tally)
    return [f"{bar(t.count, total, width)} {t.label} {t.count}" for t in tally]
