"""What a message says about the team's circumstances: a change under way, a rota, a backlog...

Advice is fitted to these (see `dialogs.selection`): a step or principle that takes a
situation for granted is only offered when the message mentions it. Only situation ids
leave this module, so the conversation state never holds the manager's words.
"""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.diagnosis.normalise import clean, expand
from dialogs.terms import TermMatcher

# The model reads this much of a message; situations are read from the same stretch.
READ_CHARS = 6000


class SituationReader:
    def __init__(self, content: Content):
        self.matcher = TermMatcher(
            [(s.id, term) for s in content.situations.values() for term in s.terms], normalise=expand
        )

    def read(self, text: str) -> list[str]:
        """Situation ids the message mentions, in the order they first appear."""
        return self.matcher.labels(expand(clean(text[:READ_CHARS])))


_readers: dict[tuple[str, str], SituationReader] = {}


def situations_in(content: Content, text: str) -> list[str]:
    """The situations `text` mentions. Readers are built once per content and kept."""
    key = (str(content.directory), content.fingerprint)
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = SituationReader(content)
    return reader.read(text)


def implied(content: Content, situations: list[str], pattern: str | None) -> set[str]:
    """What the message says, plus what that always is (a merger is a change) and what the diagnosed
    pattern means (a promoted specialist is a new supervisor)."""
    known = set(situations)
    for sid in situations:
        if sid in content.situations:
            known.update(content.situations[sid].implies)
    if pattern and pattern in content.patterns:
        known.update(content.patterns[pattern].implies)
    return known


def said_for(content: Content, need: str, situations: list[str]) -> str | None:
    """The situation the message mentioned that gives `need`: itself, or one that always is it; None if neither."""
    if need in situations:
        return need
    return next(
        (sid for sid in situations if sid in content.situations and need in content.situations[sid].implies), None
    )
