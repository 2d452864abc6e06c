"""Layer one of escalation: the content's own list of sensitive words and phrases.

This layer is deliberately independent of the learned model, so that a model
change can never quietly lower recall: anything these terms catch is escalated
whatever the model thinks. Figures of speech ("killing it", "deadline is
murder") are found first, and a term that overlaps one does not count.
"""

from __future__ import annotations

from dialogs.content_schema import EscalationFile
from dialogs.diagnosis.normalise import expand
from dialogs.terms import TermMatcher


class EscalationLexicon:
    def __init__(self, escalation: EscalationFile):
        # Terms are spelt the way messages are read (contractions spelt out), so one pass
        # over the expanded message matches "won't cope" and "will not cope" alike.
        self.figures = TermMatcher([("figure", t) for t in escalation.figures_of_speech], normalise=expand)
        # Urgent topics first: a message about bullying and self-harm must get the urgent line.
        ordered = sorted(escalation.topics, key=lambda t: not t.urgent)
        self.priority = {t.id: i for i, t in enumerate(ordered)}
        self.terms = TermMatcher([(t.id, term) for t in ordered for term in t.terms], normalise=expand)

    def mask_text(self, text: str) -> str:
        """The text with figures of speech blanked out (same length, so positions still line up)."""
        for start, end in self.figure_spans(text):
            text = text[:start] + " " * (end - start) + text[end:]
        return text

    def figure_spans(self, text: str) -> list[tuple[int, int]]:
        return [(h.start, h.end) for h in self.figures.find(text)]

    def topics(self, text: str) -> list[str]:
        """Every topic whose terms appear outside a figure of speech, most urgent first."""
        return sorted(self.terms.labels(text, self.figure_spans(text)), key=self.priority.__getitem__)

    def match(self, expanded: str) -> str | None:
        """The most urgent topic found in the (expanded) message, or None."""
        found = self.topics(expanded)
        return found[0] if found else None
