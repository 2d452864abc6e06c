"""Layer one of escalation: the content's own list of sensitive words and phrases.

This layer is deliberately independent of the learned model, so that a model
change can never quietly lower recall: anything these terms catch is escalated
whatever the model thinks. Figures of speech ("killing it", "deadline is
murder") are blanked out before matching so they cannot trigger it.
"""

from __future__ import annotations

from dialogs.content_schema import EscalationFile
from dialogs.terms import compile_terms


class EscalationLexicon:
    def __init__(self, escalation: EscalationFile):
        self.figures = compile_terms(escalation.figures_of_speech)
        # Urgent topics first: a message about bullying and self-harm must get the urgent line.
        ordered = sorted(escalation.topics, key=lambda t: not t.urgent)
        self.topics = [(t.id, compile_terms(t.terms)) for t in ordered if t.terms]

    def mask_figures(self, text: str) -> str:
        return self.figures.sub(" ~ ", text) if self.figures else text

    def match(self, *texts: str) -> str | None:
        """The first topic whose terms appear in any of the given forms of the message."""
        masked = [self.mask_figures(t) for t in texts]
        for topic_id, pattern in self.topics:
            if pattern is not None and any(pattern.search(t) for t in masked):
                return topic_id
        return None
