"""What the model is fitted on: the features of every training example, and of the content's topic phrases."""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.diagnosis.features import message_features
from dialogs.diagnosis.normalise import clean
from dialogs.terms import is_regex

# The model reads the first few thousand characters: plenty for any real message, and a
# 40,000-character paste cannot hold up the process. The escalation terms read it all.
MODEL_WINDOW = 6000


def model_text(text: str) -> str:
    """What the model reads: the cleaned message (lower case, straight quotes, one space)."""
    return clean(text)[:MODEL_WINDOW]


def training_docs(content: Content) -> tuple[list[list[str]], list[tuple[str, list[str]]]]:
    """Features of each training example, and (topic id, features) of each escalation term and hint."""
    docs = [message_features(model_text(e.text)) for e in content.training]
    phrases = [
        (topic.id, message_features(model_text(phrase.replace("*", ""))))
        for topic in content.escalation.topics
        for phrase in topic.terms + topic.hints
        if not is_regex(phrase)
    ]
    return docs, phrases
