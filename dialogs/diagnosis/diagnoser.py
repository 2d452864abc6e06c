"""The diagnosis leadbot uses: a fitted model, with rules only where they earn their place.

Order:
1. empty, emoji-only or unreadable messages get a helpful "say it in a sentence";
2. short messages about the bot itself (help, privacy, forget me) are answered as such,
   unless they also carry a sensitive term;
3. the model reads the message: escalate, none, or one of the four problems;
4. escalation: escalate is the model's likeliest reading of the message with the
   content's figures of speech blanked out (the plain arg-max of issue 12's
   baseline, which a threshold tuned on our own examples lost to on independently
   written messages) or a close second (a share of 0.40), with the content's term list as a safety net for recall:
   a term counts when the model gives the matter at least some weight, so an
   idiom such as "harassing them for timesheets" is not a false alarm, and a
   term of an urgent topic counts on its own;
   on a second look (the manager has just said the last escalation was not a sensitive
   matter) only the term list escalates;
5. an escalation gets a topic from the term list and the model's topic head;
   see `escalation_topic` for when the bot admits it cannot tell.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialogs.content_loader import Content
from dialogs.diagnosis import linear
from dialogs.diagnosis.escalation import EscalationLexicon
from dialogs.diagnosis.features import message_features
from dialogs.diagnosis.intents import RULES, beside_the_question, intent_of, strip_openers
from dialogs.diagnosis.model import MAIN_CLASSES, PATTERN_CLASSES, Heads, load_or_fit, model_cache_file
from dialogs.diagnosis.normalise import clean, expand, has_letters
from dialogs.diagnosis.topics import TopicChoice, choose_topic
from dialogs.diagnosis.training_docs import MODEL_WINDOW, FigureMask, training_docs
from dialogs.diagnosis.types import Diagnosis
from dialogs.terms import TermMatcher

FEATURE_VERSION = "6"
PROBLEM_MOVE = {"uncertainty": "lead", "confidence": "lead", "inconsistency": "manage", "control": "manage"}
WORD = re.compile(r"[^\W\d_]+")
# Requests for something the bot does not do: "write me a poem", "book a room for thursday".
REQUEST = re.compile(
    r"^(?:(?:hi|hello|hey|please|pls|quick one|quick q)\W+)*(?:can|could|would|will) (?:you|u)\b(?! help)"
    r"|^(?:please |pls )?(?:write|draft|book|translate|calculate|tell me (?:a|about)|make me|find me|send|order"
    r"|remind|summarise|summarize|give me a (?:recipe|joke|poem))\b"
    r"|\b(?:weather|recipe|joke|poem|football|match last night|lottery)\b"
)
# Words that make a one-word message about a team rather than small talk: "rota?", "staffing".
TEAMISH = re.compile(
    r"\b(team|staff|staffing|people|colleagues?|work|service|shift|rota|manager|managers|boss"
    r"|department|dept|ward|office|crew|officers?|backlog|deadlines?|handovers?)\b"
)
# Below this share of words seen in training, a message is not read as English.
KNOWN_WORDS_AT = 0.4


@dataclass(frozen=True)
class Thresholds:
    # Escalate is the likeliest reading, or a close second at this share: on our holdout the floor
    # catches four sensitive matters that narrowly lose to a coaching reading for one more false
    # alarm, and changes nothing on the public sets (benchmarks/escalation_rule.py); lower floors,
    # and the 0.20 threshold chosen on our own examples before, cost precision on independently
    # written messages.
    escalate_floor: float = 0.40
    # A sensitive term from escalation.yaml escalates when the model gives at least this.
    term_support_at: float = 0.15
    both_at: float = 0.5


class ContentDiagnoser:
    """Diagnoses messages using everything in `content/`: escalation terms, cues and training examples."""

    def __init__(
        self,
        content: Content,
        cache_dir: Path | None = None,
        ask_below: float = 0.85,
        thresholds: Thresholds = Thresholds(),
    ):
        self.content = content
        self.ask_below = ask_below
        self.thresholds = thresholds
        self.lexicon = EscalationLexicon(content.escalation)
        # Cues say *why* in the reply; they are not model features.
        self.figures = FigureMask(content.escalation.figures_of_speech)
        # Words in at least two training examples: a word seen once (the "español" of "¿hablas
        # español?", taught as another language) is no sign that the message is in ours.
        seen = Counter(w for e in content.training for w in set(WORD.findall(clean(e.text))))
        self.known_words = {w for w, n in seen.items() if n >= 2}
        self.cues = TermMatcher([(c.id, term) for c in content.cues.values() for term in c.terms], normalise=expand)
        self.heads: Heads = load_or_fit(
            content.training,
            lambda: training_docs(content),
            content.model_fingerprint,
            FEATURE_VERSION,
            cache_dir,
        )

    # ------------------------------------------------------------------

    def diagnose(self, text: str, second_look: bool = False) -> Diagnosis:
        cleaned = clean(text or "")
        seed = int.from_bytes(hashlib.sha256(cleaned.encode()).digest()[:4], "big")
        if not cleaned:
            return Diagnosis(first_move="none", intent="empty", confidence=1.0, seed=seed)
        if not has_letters(cleaned):
            return Diagnosis(first_move="none", intent="unclear", confidence=1.0, seed=seed)
        expanded = expand(cleaned)
        term_topics = self.lexicon.topics(expanded)  # from the whole message, whatever is read below
        # A question about the ideas with a matter of its own beside it: the matter is what is read.
        beside = beside_the_question(cleaned)
        if beside:
            cleaned, expanded = beside, expand(beside)

        intent = intent_of(cleaned)
        if intent in ("forget", "privacy", "help", "about") and not term_topics:
            return Diagnosis(first_move="none", intent=intent, confidence=1.0, seed=seed)

        rest = strip_openers(cleaned)
        if (
            not term_topics
            and len(WORD.findall(rest)) < 2
            and intent in ("greeting", "thanks", None)
            and not TEAMISH.search(rest)
        ):
            # One word or none after "hi"/"thanks": nothing to diagnose ("hiya", "m", "cheers!").
            return Diagnosis(
                first_move="none", intent=intent or ("greeting" if not rest else "unclear"), confidence=1.0, seed=seed
            )
        if not term_topics and self._unreadable(rest):
            # Another language, keyboard mash or stray codes: say so rather than guess.
            return Diagnosis(first_move="none", intent="unclear", confidence=0.9, seed=seed)

        text = cleaned[:MODEL_WINDOW]
        row = self.heads.vectoriser.transform(message_features(text))
        logits = linear.logits(self.heads.main, row)
        p_main = _softmax(logits / self.heads.temperature)
        p_sensitive = self.sensitive_reading(text, row)
        p_escalate = float(p_sensitive[0])
        t = self.thresholds
        # A term of a topic where someone's life or safety may be at risk ("better off without me")
        # escalates on its own: missing one costs far more than a false alarm.
        urgent_term = any(self.content.topics[topic].urgent for topic in term_topics if topic in self.content.topics)
        # On a second look (the manager said the last escalation was a false alarm) the model's
        # reading alone no longer escalates; the terms still do.
        likeliest = not second_look and (p_escalate >= max(p_sensitive) or p_escalate >= t.escalate_floor)
        # A term needs the model's support so that ordinary team work using one ("booking safeguarding
        # training") is coached, but a message the model cannot read as team work at all ("a manager
        # touched a trainee inappropriately") has no such reading to protect: there the term decides.
        best = 1 + int(np.argmax(p_main[1:]))  # the likeliest reading other than escalate
        label = MAIN_CLASSES[best]
        term_decides = bool(term_topics) and (p_escalate >= t.term_support_at or label == "none")
        if urgent_term or likeliest or term_decides:
            choice = self.topic_of(row, term_topics)
            return Diagnosis(
                first_move="escalate",
                topic=choice.topic,
                topic_sure=choice.sure,
                topic_alternatives=choice.alternatives,
                sensitive_terms=bool(term_topics),
                confidence=max(p_escalate, float(p_main[0])),
                seed=seed,
            )

        if intent in ("concept", "copy") and not term_topics:
            # Answered only after the escalation reading: "is it leadership when my manager shouts at me?"
            # must reach the routes, not a lesson in the difference.
            return Diagnosis(first_move="none", intent=intent, confidence=1.0, seed=seed)

        if label == "none":
            lenient = next((name for name, pattern in RULES if pattern.search(cleaned)), None)
            if lenient:
                return Diagnosis(first_move="none", intent=lenient, confidence=float(p_main[1]), seed=seed)
            if not rest:
                return Diagnosis(first_move="none", intent="greeting", confidence=float(p_main[1]), seed=seed)
            # Not a problem the bot can read: a request it does not do gets a polite no; anything
            # else ("things are bad") is probably a problem said too briefly, so it asks.
            intent = "off_topic" if REQUEST.search(cleaned) else "vague"
            return Diagnosis(first_move="none", intent=intent, confidence=float(p_main[1]), seed=seed)

        p_both = float(linear.predict_proba(self.heads.both, row)[1])
        p_pattern = linear.predict_proba(self.heads.pattern, row)
        # The likeliest pattern, "-" (no common mistake) included: a bar above the arg-max lost
        # patterns on independently written messages (84.8% against 87.9% on the public sets).
        pattern = PATTERN_CLASSES[int(np.argmax(p_pattern))] if np.argmax(p_pattern) else None
        cues = self.cues.labels(expanded)
        signals = [c for c in cues if self.content.cues[c].points_to == label] + [
            c for c in cues if self.content.cues[c].points_to != label
        ]
        return Diagnosis(
            first_move=PROBLEM_MOVE[label],  # type: ignore[arg-type]
            problem=label,  # type: ignore[arg-type]
            both=p_both >= t.both_at,
            pattern=pattern,
            confidence=float(p_main[best]),
            signals=signals,
            seed=seed,
        )

    def sensitive_reading(self, text: str, row: dict[int, float] | None = None) -> np.ndarray:
        """The main head's reading of the model text with the figures of speech blanked out, the
        reading that decides escalation (`row`: the unmasked text's features, reused when nothing is blanked)."""
        masked = self.figures(text)
        if masked != text or row is None:
            row = self.heads.vectoriser.transform(message_features(masked))
        return linear.predict_proba(self.heads.main, row)

    def _unreadable(self, rest: str) -> bool:
        """Mostly words the training examples never use (checked only when a sensitive term is absent)."""
        words = WORD.findall(rest)
        if not words:
            return False
        known = sum(1 for w in words if w in self.known_words)
        return known / len(words) < KNOWN_WORDS_AT

    def topic_of(self, row: dict[int, float], term_topics: list[str]) -> TopicChoice:
        probs: dict[str, float] = {}
        if self.heads.topic is not None:
            p = linear.predict_proba(self.heads.topic, row)
            probs = {t: float(p[i]) for i, t in enumerate(self.heads.topics) if t in self.content.topics}
        return choose_topic(term_topics, probs, self.content.topics)


def model_file_name(content: Content) -> str:
    """The file the fitted model for this content and code is kept in (in any model directory)."""
    return model_cache_file(content.model_fingerprint, FEATURE_VERSION)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()
