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
        self.matcher = TermMatcher([(s.id, term) for s in content.situations.values() for term in s.terms], normalise=expand)
        self.implies = {s.id: s.implies for s in content.situations.values()}

    def read(self, text: str) -> list[str]:
        """Situation ids the message mentions, in the order they first appear, each followed by what it
        always is (a merger is a change)."""
        found: dict[str, None] = {}
        for sid in self.matcher.labels(expand(clean(text[:READ_CHARS]))):
            found.setdefault(sid, None)
            for other in self.implies.get(sid, ()):
                found.setdefault(other, None)
        return list(found)


_readers: dict[tuple[str, str], SituationReader] = {}


def situations_in(content: Content, text: str) -> list[str]:
    """The situations `text` mentions. Readers are built once per content and kept."""
    key = (str(content.directory), content.fingerprint)
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = SituationReader(content)
    return reader.read(text)


def implied(content: Content, situations: list[str], pattern: str | None) -> set[str]:
    """What the message says plus what the diagnosed pattern means: a promoted specialist is a new supervisor."""
    known = set(situations)
    if pattern and pattern in content.patterns:
        known.update(content.patterns[pattern].implies)
    return known
