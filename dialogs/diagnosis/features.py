"""Features for the diagnosis model: light stems, word pairs, negation, and named cues.

Kept deliberately simple and deterministic: the same text always yields the
same features, whatever the machine.
"""

from __future__ import annotations

from dialogs.diagnosis.normalise import tokens

NEGATORS = {"not", "no", "never", "nobody", "none", "nothing", "cannot", "without", "neither", "nor", "noone"}
CLAUSE_END = {"?", "!", "but", "though", "although", "however", "because", "so"}
NEGATION_SPAN = 3

# Words too common to mean anything on their own; they still count inside word pairs.
STOP = {
    "the", "a", "an", "and", "or", "to", "of", "in", "on", "at", "for", "is", "are", "was", "were", "be", "been",
    "it", "this", "that", "my", "our", "we", "i", "they", "them", "their", "me", "you", "your", "he", "she", "his",
    "her", "its", "with", "as", "by", "from", "up", "out", "just", "so", "very", "really", "then", "than", "there",
    "have", "has", "had", "do", "does", "did", "am", "all", "some", "about", "into", "over", "after", "also", "get",
    "got", "one", "two", "if", "would", "will", "can", "could", "should", "us", "what", "which", "who",
    "him", "hers", "mine", "myself", "herself", "himself", "themselves", "someone", "somebody", "told",
}
KEEP_SHORT = {"why", "who", "what", "how", "no", "not"}


def stem(word: str) -> str:
    """A light suffix-stripper: enough to join 'deadlines/deadline' and 'asking/asked/ask'."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, keep in (("ational", 5), ("ization", 5), ("isation", 5), ("ness", 4), ("ment", 4), ("ings", 4), ("ing", 4), ("edly", 4), ("ied", 3), ("ies", 3), ("ed", 4), ("es", 4), ("ly", 4), ("s", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep - 1:
            base = word[: -len(suffix)]
            if suffix in ("ied", "ies"):
                base += "y"
            if suffix == "s" and word.endswith("ss"):
                return word
            if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # stopped -> stop
            return base
    return word


def word_features(text: str) -> list[str]:
    """Stems, stem pairs and negated stems of an already expanded, lower-case text."""
    toks = tokens(text)
    stems = [stem(t) for t in toks]
    feats: list[str] = []
    negate = 0
    for i, (tok, st) in enumerate(zip(toks, stems)):
        if tok in CLAUSE_END:
            negate = 0
        if tok not in STOP or tok in KEEP_SHORT:
            feats.append(st)
            if negate:
                feats.append("NOT_" + st)
        if tok in NEGATORS:
            negate = NEGATION_SPAN
        elif negate:
            negate -= 1
        # Word pairs, except those made only of common words: "one of", "of my", "she is"
        # say who a message is about, not what is wrong, and would teach the model that
        # any message about a person is a sensitive one.
        if i + 1 < len(toks) and not (tok in STOP and toks[i + 1] in STOP):
            feats.append(st + "_" + stems[i + 1])
    return feats

