"""What the diagnosis model reads in a message: words, word pairs and pieces of words.

- words and pairs of neighbouring words ("w:rota", "w:the rota");
- character 3- to 5-grams inside each word, padded with a space at either end
  ("c: rot", "c:rota "), which is what lets the model read "rotas", "rotering",
  "naebody" and "nobdy" as cousins of words it has seen.

These are the features of the plain baseline the project measures itself
against (scikit-learn's word 1-2-gram and `char_wb` 3-5-gram analysers,
reproduced exactly so that no scikit-learn is needed at run time). Hand-made
features on top of them (stems, negation, cue and hint flags) were measured
one by one and did not help on independently written messages.
"""

from __future__ import annotations

import itertools
import re

TOKEN = re.compile(r"(?u)\b\w\w+\b")
WHITESPACE = re.compile(r"\s\s+")
CHAR_MIN, CHAR_MAX = 3, 5


def word_features(text: str) -> list[str]:
    tokens = TOKEN.findall(text)
    feats = ["w:" + t for t in tokens]
    feats.extend("w:" + a + " " + b for a, b in itertools.pairwise(tokens))
    return feats


def char_features(text: str) -> list[str]:
    feats: list[str] = []
    for word in WHITESPACE.sub(" ", text).split():
        padded = " " + word + " "
        length = len(padded)
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            if length <= n:  # a short word counts once, whole
                feats.append("c:" + padded)
                break
            feats.extend("c:" + padded[i : i + n] for i in range(length - n + 1))
    return feats


def message_features(text: str) -> list[str]:
    """Features of an already cleaned (lower-case) message."""
    return word_features(text) + char_features(text)
