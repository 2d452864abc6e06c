"""Which nudge a channel gets in a given week: deterministic, no repeats within 52 weeks, themes balanced.

The choice depends only on the content, the channel's history (week -> nudge
id) and a per-channel seed, so every replica and the preview agree without
talking to each other.

1. Nudges sent in the 51 weeks before this one are out: nothing repeats within 52 weeks.
2. The theme is the one used least in that window; ties go round lead -> manage ->
   balance from the theme sent last, so a new channel cycles through all three.
3. Within the theme, a nudge the channel has never had comes first (so new
   content enters the rotation at once), then the one sent longest ago; the
   channel's seed breaks ties, so neighbouring channels do not all get the same
   nudge in the same week.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

from dialogs.content_schema import Nudge
from dialogs.nudges.schedule import add_weeks, week_index

THEMES = ("lead", "manage", "balance")
NO_REPEAT_WEEKS = 52


def channel_seed(platform: str, workspace_id: str, channel_id: str) -> str:
    return hashlib.sha256(f"{platform}\0{workspace_id}\0{channel_id}".encode()).hexdigest()[:16]


def _tiebreak(seed: str, nudge_id: str) -> str:
    return hashlib.sha256(f"{seed}\0{nudge_id}".encode()).hexdigest()


def pick(nudges: Sequence[Nudge], history: Iterable[tuple[str, str]], week: str, seed: str) -> Nudge:
    """The nudge for `week`. `history` is (week, nudge id) for weeks before it that had a nudge."""
    if not nudges:
        raise ValueError("no nudges in content")
    by_id = {n.id: n for n in nudges}
    now = week_index(week)
    past = sorted(((week_index(w), nid) for w, nid in history if week_index(w) < now), reverse=True)
    recent = [(i, nid) for i, nid in past if now - i < NO_REPEAT_WEEKS]
    recent_ids = {nid for _, nid in recent}
    last_sent: dict[str, int] = {}
    for i, nid in past:
        last_sent.setdefault(nid, i)

    counts = Counter(by_id[nid].theme for _, nid in recent if nid in by_id)
    last_theme = next((by_id[nid].theme for _, nid in past if nid in by_id), None)
    start = (THEMES.index(last_theme) + 1) if last_theme else int(seed[:2], 16) % len(THEMES)
    cycle = [THEMES[(start + k) % len(THEMES)] for k in range(len(THEMES))]
    themes = sorted(cycle, key=lambda t: (counts[t], cycle.index(t)))

    def order(n: Nudge) -> tuple[int, int, str]:
        never = n.id not in last_sent
        return (0 if never else 1, last_sent.get(n.id, 0), _tiebreak(seed, n.id))

    for theme in themes:
        eligible = [n for n in nudges if n.theme == theme and n.id not in recent_ids]
        if eligible:
            return min(eligible, key=order)
    # Fewer than 52 nudges in content: repeat the one sent longest ago rather than stay silent.
    return min(nudges, key=order)


def plan(
    nudges: Sequence[Nudge], history: Iterable[tuple[str, str]], first_week: str, weeks: int, seed: str
) -> list[tuple[str, Nudge]]:
    """The next `weeks` picks from `first_week` on, as if each went out: for previews and tests."""
    hist = list(history)
    out: list[tuple[str, Nudge]] = []
    for k in range(weeks):
        week = add_weeks(first_week, k)
        chosen = pick(nudges, hist, week, seed)
        hist.append((week, chosen.id))
        out.append((week, chosen))
    return out
