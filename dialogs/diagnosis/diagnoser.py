"""The diagnosis leadbot uses: rules where a miss is unacceptable, a fitted model for the rest.

Order matters and is the point of the design:
1. empty, emoji-only or unreadable messages get a helpful "say it in a sentence";
2. the escalation lexicon (content/escalation.yaml) runs before anything else
   and cannot be overruled;
3. short messages about the bot (help, privacy, forget me) are answered as such;
4. the model reads what is left; its own escalate class is a second safety net.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from dialogs.content_loader import Content
from dialogs.diagnosis import linear
from dialogs.diagnosis.escalation import EscalationLexicon
from dialogs.diagnosis.features import word_features
from dialogs.diagnosis.intents import RULES, intent_of, strip_openers
from dialogs.diagnosis.model import MAIN_CLASSES, PATTERN_CLASSES, Heads, load_or_fit
from dialogs.diagnosis.normalise import clean, expand, has_letters
from dialogs.diagnosis.types import Diagnosis
from dialogs.terms import TermMatcher

FEATURE_VERSION = "5"
PROBLEM_MOVE = {"uncertainty": "lead", "confidence": "lead", "inconsistency": "manage", "control": "manage"}
WORD = re.compile(r"[^\W\d_]+")
# Requests for something the bot does not do: "write me a poem", "book a room for thursday".
REQUEST = re.compile(
    r"^(?:(?:hi|hello|hey|please|pls|quick one|quick q)\W+)*(?:can|could|would|will) (?:you|u)\b(?! help)|^(?:please |pls )?(?:write|draft|book|translate|calculate|tell me (?:a|about)|make me|find me|send|order|remind|summarise|summarize|give me a (?:recipe|joke|poem))\b|\b(?:weather|recipe|joke|poem|football|match last night|lottery)\b"
)
# Words that make a short message about a team rather than small talk: "things are bad with the team".
TEAMISH = re.compile(r"\b(team|staff|people|colleague|colleagues|they|them|everyone|nobody|work|service|shift|rota|manager|managers|boss|department|dept|ward|office|crew|officers?)\b")

# Who a message is about: sensitive matters are nearly always about a particular person.
ABOUT = [
    ("person", re.compile(r"\b(he|she|him|her|his|hers|colleague|one of (my|the|our|mine)|member of staff|new starter|the new (guy|lad|girl|starter|woman|man)|team leader|deputy|supervisor|carer|officer|driver|nurse|porter|consultant|client|patient|resident|service user|child|kid|teenager|girl|boy|lad|apprentice)\b")),
    ("self", re.compile(r"\b(i|me|myself)\b")),
]

# The model's escalation reading overrules coaching at this probability. Low on purpose:
# a sensitive matter coached is the worst mistake the bot can make, a false alarm
# costs the manager one polite redirect.
MODEL_ESCALATE_AT = 0.35
NONE_OVERRULES_AT = 0.6
MODEL_WINDOW = 6000
# "both" and a pattern are named at these probabilities; chosen on benchmarks/data/holdout.jsonl
# to keep both's recall and precision each above 70%.
BOTH_AT = 0.4
PATTERN_AT = 0.3


class ContentDiagnoser:
    """Diagnoses messages using everything in `content/`: escalation terms, cues and training examples."""

    def __init__(self, content: Content, cache_dir: Path | None = None, ask_below: float = 0.85):
        self.content = content
        self.ask_below = ask_below
        self.lexicon = EscalationLexicon(content.escalation)
        self.cues = TermMatcher([(c.id, term) for c in content.cues.values() for term in c.terms], normalise=expand)
        self.hints = TermMatcher([(t.id, term) for t in content.escalation.topics for term in t.hints], normalise=expand)
        self.known_words = self._vocabulary(content)
        self.heads: Heads = load_or_fit(
            content.training,
            lambda: self._training_docs(content),
            content.fingerprint,
            FEATURE_VERSION,
            cache_dir,
        )

    def _training_docs(self, content: Content) -> tuple[list[list[str]], list[list[str]]]:
        expanded = [expand(clean(e.text)) for e in content.training]
        return [self.features(x) for x in expanded], [self.escalation_features(x) for x in expanded]

    @staticmethod
    def _vocabulary(content: Content) -> set[str]:
        words: set[str] = set()
        for ex in content.training:
            words.update(WORD.findall(expand(clean(ex.text))))
        return words

    def cue_ids(self, expanded: str) -> list[str]:
        return self.cues.labels(expanded)

    def features(self, expanded: str, cues: list[str] | None = None) -> list[str]:
        cues = self.cue_ids(expanded) if cues is None else cues
        return word_features(expanded) + ["cue:" + c for c in cues] + self.hint_features(expanded)

    def escalation_features(self, expanded: str) -> list[str]:
        """The narrower view the escalation head reads: character n-grams and problem cues only add noise there."""
        return word_features(expanded) + self.hint_features(expanded)

    def hint_features(self, expanded: str) -> list[str]:
        """Escalation hints by topic, and whether they concern a particular person or the manager.

        "cash" alone is ordinary; "cash" with "she" or "one of my team" is worth a closer look.
        A linear model cannot see such pairs by itself, so they are spelt out as features.
        """
        topics = self.hints.labels(self.lexicon.mask_text(expanded))
        if not topics:
            return []
        about = [tag for tag, pattern in ABOUT if pattern.search(expanded)]
        feats = ["hint:" + t for t in topics]
        feats += [f"hint:{t}&{tag}" for t in topics for tag in about]
        if len(topics) >= 2:
            feats.append("hint:several")
        return feats

    # ------------------------------------------------------------------

    def diagnose(self, text: str) -> Diagnosis:
        cleaned = clean(text or "")
        seed = int.from_bytes(hashlib.sha256(cleaned.encode()).digest()[:4], "big")
        if not cleaned:
            return Diagnosis(first_move="none", intent="empty", confidence=1.0, seed=seed)
        if not has_letters(cleaned):
            return Diagnosis(first_move="none", intent="unclear", confidence=1.0, seed=seed)
        expanded = expand(cleaned)

        topic = self.lexicon.match(expanded)
        if topic:
            return Diagnosis(first_move="escalate", topic=topic, confidence=1.0, seed=seed)

        intent = intent_of(cleaned)
        if intent in ("forget", "privacy", "help", "about"):
            return Diagnosis(first_move="none", intent=intent, confidence=1.0, seed=seed)
        rest = strip_openers(cleaned)
        if len(WORD.findall(rest)) < 2 and intent in ("greeting", "thanks", None) and not TEAMISH.search(rest):
            return Diagnosis(first_move="none", intent=intent or ("greeting" if rest == "" else "unclear"), confidence=1.0, seed=seed)
        if self._foreign(rest):
            return Diagnosis(first_move="none", intent="unclear", confidence=0.9, seed=seed)

        # The model reads the first few thousand characters: plenty for any real message, and a
        # 40,000-character paste cannot hold up the process. The escalation terms above read it all.
        rest_expanded = expand(rest[:MODEL_WINDOW])
        cues = self.cue_ids(rest_expanded)
        row = self.heads.vectoriser.transform(self.features(rest_expanded, cues))
        p_main = linear.predict_proba(self.heads.main, row, self.heads.temperature)
        # Layer two of escalation: two readings of the whole message, averaged.
        esc_row = self.heads.escalate_vectoriser.transform(self.escalation_features(rest_expanded))
        p_escalate = (float(linear.predict_proba(self.heads.escalate, esc_row)[1]) + float(linear.predict_proba(self.heads.main, row)[0])) / 2
        # Small talk ("sorted it btw, ignore my last msg") can look alarming word by word;
        # when the main reading is confidently "not a team problem at all", believe it.
        small_talk = p_main[1] >= NONE_OVERRULES_AT
        if p_escalate >= MODEL_ESCALATE_AT and not small_talk:
            return Diagnosis(first_move="escalate", topic=None, confidence=p_escalate, seed=seed)
        best = 1 + int(np.argmax(p_main[1:]))  # escalation has been decided above
        label = MAIN_CLASSES[best]
        if label == "none":
            lenient = next((name for name, pattern in RULES if pattern.search(cleaned)), None)
            if lenient:
                return Diagnosis(first_move="none", intent=lenient, confidence=float(p_main[1]), seed=seed)
            # Not a problem the bot can read: a request it does not do gets a polite no; anything
            # else ("things are bad") is probably a problem said too briefly, so it asks.
            intent = "off_topic" if REQUEST.search(cleaned) else "vague"
            return Diagnosis(first_move="none", intent=intent, confidence=float(p_main[1]), seed=seed)

        move = PROBLEM_MOVE[label]
        # Confidence in the move and problem together: the problem's share, lifted by how sure the move is.
        p_both = float(linear.predict_proba(self.heads.both, row)[1])
        p_pattern = linear.predict_proba(self.heads.pattern, row)
        pattern_idx = int(np.argmax(p_pattern))
        pattern = PATTERN_CLASSES[pattern_idx] if pattern_idx and p_pattern[pattern_idx] >= PATTERN_AT else None
        signals = [c for c in cues if self._cue_points(c) == label] + [c for c in cues if self._cue_points(c) != label]
        return Diagnosis(
            first_move=move,  # type: ignore[arg-type]
            problem=label,  # type: ignore[arg-type]
            both=p_both >= BOTH_AT,
            pattern=pattern,
            confidence=float(p_main[best]),
            signals=signals,
            seed=seed,
        )

    def _cue_points(self, cue_id: str) -> str:
        return self.content.cues[cue_id].points_to

    def _foreign(self, rest: str) -> bool:
        """Mostly words the training examples never use: another language, or keyboard mash."""
        words = WORD.findall(rest)
        if not words:
            return True
        known = sum(1 for w in words if w in self.known_words)
        return known / len(words) < 0.4
