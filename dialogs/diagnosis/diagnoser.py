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

FEATURE_VERSION = "1"
PROBLEM_MOVE = {"uncertainty": "lead", "confidence": "lead", "inconsistency": "manage", "control": "manage"}
WORD = re.compile(r"[^\W\d_]+")
# Words that make a short message about a team rather than small talk: "things are bad with the team".
TEAMISH = re.compile(r"\b(team|staff|people|colleague|colleagues|they|them|everyone|nobody|work|service|shift|rota|manager|managers|boss|department|dept|ward|office|crew|officers?)\b")

# The model's own escalate class only overrules coaching when it is this sure.
MODEL_ESCALATE_AT = 0.5


class ContentDiagnoser:
    """Diagnoses messages using everything in `content/`: escalation terms, cues and training examples."""

    def __init__(self, content: Content, cache_dir: Path | None = None, ask_below: float = 0.5):
        self.content = content
        self.ask_below = ask_below
        self.lexicon = EscalationLexicon(content.escalation)
        self.cues = TermMatcher([(c.id, term) for c in content.cues.values() for term in c.terms])
        self.known_words = self._vocabulary(content)
        self.heads: Heads = load_or_fit(
            content.training,
            lambda: [self.features(expand(clean(e.text))) for e in content.training],
            content.fingerprint,
            FEATURE_VERSION,
            cache_dir,
        )

    @staticmethod
    def _vocabulary(content: Content) -> set[str]:
        words: set[str] = set()
        for ex in content.training:
            words.update(WORD.findall(expand(clean(ex.text))))
        return words

    def cue_ids(self, expanded: str) -> list[str]:
        return self.cues.labels(expanded)

    def features(self, expanded: str) -> list[str]:
        return word_features(expanded) + ["cue:" + c for c in self.cue_ids(expanded)]

    # ------------------------------------------------------------------

    def diagnose(self, text: str) -> Diagnosis:
        cleaned = clean(text or "")
        seed = int.from_bytes(hashlib.sha256(cleaned.encode()).digest()[:4], "big")
        if not cleaned:
            return Diagnosis(first_move="none", intent="empty", confidence=1.0, seed=seed)
        if not has_letters(cleaned):
            return Diagnosis(first_move="none", intent="unclear", confidence=1.0, seed=seed)
        expanded = expand(cleaned)

        topic = self.lexicon.match(cleaned, expanded)
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

        rest_expanded = expand(rest)
        cues = self.cue_ids(rest_expanded)
        row = self.heads.vectoriser.transform(word_features(rest_expanded) + ["cue:" + c for c in cues])
        p_main = linear.predict_proba(self.heads.main, row)
        best = int(np.argmax(p_main))
        label = MAIN_CLASSES[best]

        if p_main[0] >= MODEL_ESCALATE_AT:
            return Diagnosis(first_move="escalate", topic=None, confidence=float(p_main[0]), seed=seed)
        if label == "escalate":  # escalate was top but below the bar: coach on the best coaching reading
            best = 2 + int(np.argmax(p_main[2:]))
            label = MAIN_CLASSES[best]
        if label == "none":
            lenient = next((name for name, pattern in RULES if pattern.search(cleaned)), None)
            if lenient:
                return Diagnosis(first_move="none", intent=lenient, confidence=float(p_main[1]), seed=seed)
            intent = "vague" if TEAMISH.search(rest) else "off_topic"
            return Diagnosis(first_move="none", intent=intent, confidence=float(p_main[1]), seed=seed)

        move = PROBLEM_MOVE[label]
        # Confidence in the move and problem together: the problem's share, lifted by how sure the move is.
        p_both = float(linear.predict_proba(self.heads.both, row)[1])
        p_pattern = linear.predict_proba(self.heads.pattern, row)
        pattern_idx = int(np.argmax(p_pattern))
        pattern = PATTERN_CLASSES[pattern_idx] if pattern_idx and p_pattern[pattern_idx] >= 0.5 else None
        signals = [c for c in cues if self._cue_points(c) == label] + [c for c in cues if self._cue_points(c) != label]
        return Diagnosis(
            first_move=move,  # type: ignore[arg-type]
            problem=label,  # type: ignore[arg-type]
            both=p_both >= 0.5,
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
