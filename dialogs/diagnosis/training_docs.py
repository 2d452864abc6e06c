"""What the model is fitted on: the features of every training example, and of the content's topic phrases."""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.diagnosis.features import message_features
from dialogs.diagnosis.normalise import clean, expand
from dialogs.terms import TermMatcher, is_regex

# The model reads the first few thousand characters: plenty for any real message, and a
# 40,000-character paste cannot hold up the process. The escalation terms read it all.
MODEL_WINDOW = 6000


def model_text(text: str) -> str:
    """What the model reads: the cleaned message (lower case, straight quotes, one space)."""
    return clean(text)[:MODEL_WINDOW]


class FigureMask:
    """Blanks out the figures of speech in escalation.yaml ("killing it", "on a wing and a prayer").

    Whether a message is a sensitive matter is judged with them blanked out, so an idiom an
    editor lists there can never make one, whatever words it shares with real ones. Matched on
    the cleaned text as written and with contractions spelt out ("it's murder", "it is murder").
    """

    def __init__(self, figures: list[str]):
        forms = {f.lower() for f in figures} | {expand(f.lower()) for f in figures}
        self.matcher = TermMatcher([("figure", f) for f in sorted(forms)])

    def __call__(self, cleaned: str) -> str:
        for hit in reversed(self.matcher.find(cleaned)):
            cleaned = cleaned[: hit.start] + " " + cleaned[hit.end :]
        return cleaned


def training_docs(content: Content) -> tuple[list[list[str]], list[tuple[str, list[str]]]]:
    """Features of each training example; (topic id, features) of each escalation term and hint."""
    docs = [message_features(model_text(e.text)) for e in content.training]
    phrases = [
        (topic.id, message_features(model_text(phrase.replace("*", ""))))
        for topic in content.escalation.topics
        for phrase in topic.terms + topic.hints
        if not is_regex(phrase)
    ]
    return docs, phrases


def masked_docs(content: Content, docs: list[list[str]]) -> list[list[str]]:
    """Each example's features with its figures of speech blanked out, as the escalation reading sees a message."""
    mask = FigureMask(content.escalation.figures_of_speech)
    texts = [model_text(e.text) for e in content.training]
    return [doc if mask(t) == t else message_features(mask(t)) for doc, t in zip(docs, texts, strict=True)]
