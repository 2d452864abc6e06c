"""Compare diagnosis approaches on labelled sets, side by side in one run.

    .venv/bin/python benchmarks/compare_approaches.py [FILE.jsonl ...]

Default sets: shared/eval/public_dev.jsonl (the public set) and
benchmarks/data/holdout.jsonl (our own held-out set, never trained on).
Every approach learns only from content/ (the training examples and the
content's own term lists); none sees the evaluation sets.

1. rules     - the content's term lists alone: escalation lexicon, the short
               intents, then the problem with the most cue hits.
2. bayes     - multinomial naive Bayes over the same word features.
3. tfidf-lr  - TF-IDF + logistic regression over words alone (the usual baseline).
4. leadbot   - what ships: lexicon and intents first, then logistic regression
               over words, word pairs, negation, cues and character 4-grams,
               with a second escalation layer from the model.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import Case, read_labelled, score  # noqa: E402
from dialogs.content_loader import load_content  # noqa: E402
from dialogs.diagnosis import linear  # noqa: E402
from dialogs.diagnosis.diagnoser import ContentDiagnoser  # noqa: E402
from dialogs.diagnosis.escalation import EscalationLexicon  # noqa: E402
from dialogs.diagnosis.features import word_features  # noqa: E402
from dialogs.diagnosis.intents import intent_of  # noqa: E402
from dialogs.diagnosis.model import MAIN_CLASSES  # noqa: E402
from dialogs.diagnosis.normalise import clean, expand  # noqa: E402
from dialogs.diagnosis.vectoriser import Vectoriser  # noqa: E402
from dialogs.terms import TermMatcher  # noqa: E402

MOVE = {"uncertainty": "lead", "confidence": "lead", "inconsistency": "manage", "control": "manage"}
from benchmarks.common import PUBLIC_DEV  # noqa: E402

DEFAULT_SETS = [p for p in (PUBLIC_DEV, ROOT / "benchmarks" / "data" / "holdout.jsonl") if p.exists()]


def pred(label: str, confidence: float = 1.0) -> dict:
    if label in MOVE:
        return {"first_move": MOVE[label], "problem": label, "both": False, "pattern": None, "confidence": confidence}
    return {"first_move": label, "problem": None, "both": False, "pattern": None, "confidence": confidence}


class Rules:
    name = "rules"

    def __init__(self, content):
        self.lexicon = EscalationLexicon(content.escalation)
        self.cues = TermMatcher([(c.id, t) for c in content.cues.values() for t in c.terms])
        self.points = {c.id: c.points_to for c in content.cues.values()}

    def __call__(self, text: str) -> dict:
        cleaned = clean(text)
        if self.lexicon.match(expand(cleaned)):
            return pred("escalate")
        if intent_of(cleaned) or not cleaned:
            return pred("none")
        votes = Counter(self.points[c] for c in self.cues.labels(expand(cleaned)))
        if not votes:
            return pred("none", 0.0)
        label, n = votes.most_common(1)[0]
        return pred(label, n / sum(votes.values()))


class Bayes:
    name = "bayes"

    def __init__(self, content):
        docs = [word_features(expand(clean(e.text))) for e in content.training]
        labels = [e.problem or e.first_move for e in content.training]
        self.classes = sorted(set(labels))
        counts = {c: Counter() for c in self.classes}
        for doc, label in zip(docs, labels):
            counts[label].update(doc)
        vocab = set().union(*counts.values())
        self.prior = {c: math.log(labels.count(c) / len(labels)) for c in self.classes}
        self.logp = {}
        for c in self.classes:
            total = sum(counts[c].values()) + len(vocab)
            self.logp[c] = ({w: math.log((n + 1) / total) for w, n in counts[c].items()}, math.log(1 / total))

    def __call__(self, text: str) -> dict:
        doc = word_features(expand(clean(text)))
        scores = {c: self.prior[c] + sum(self.logp[c][0].get(w, self.logp[c][1]) for w in doc) for c in self.classes}
        top = max(scores.values())
        z = sum(math.exp(s - top) for s in scores.values())
        best = max(scores, key=scores.get)
        return pred(best, 1 / z)


class TfidfLR:
    name = "tfidf-lr"

    def __init__(self, content):
        docs = [clean(e.text).split() for e in content.training]
        self.vec = Vectoriser.fit(docs)
        rows = [self.vec.transform(d) for d in docs]
        y = np.array([MAIN_CLASSES.index(e.problem or e.first_move) for e in content.training])
        self.w = linear.fit(rows, y, len(MAIN_CLASSES), len(self.vec.vocabulary), l2=1.0)

    def __call__(self, text: str) -> dict:
        p = linear.predict_proba(self.w, self.vec.transform(clean(text).split()))
        k = int(np.argmax(p))
        return pred(MAIN_CLASSES[k], float(p[k]))


class Leadbot:
    name = "leadbot"

    def __init__(self, content):
        self.d = ContentDiagnoser(content, cache_dir=None)

    def __call__(self, text: str) -> dict:
        d = self.d.diagnose(text)
        return {"first_move": d.first_move, "problem": d.problem, "both": d.both, "pattern": d.pattern, "confidence": d.confidence}


def main(paths: list[Path]) -> None:
    content = load_content()
    approaches = [cls(content) for cls in (Rules, Bayes, TfidfLR, Leadbot)]
    measures = ["first_move accuracy", "first_move macro-F1", "problem accuracy", "escalate recall", "escalate precision", "none accuracy", "both recall", "both precision"]
    for path in paths:
        if not path.exists():
            print(f"(skipping {path}: not found)")
            continue
        rows = read_labelled(path)
        print(f"\n{path.name}: {len(rows)} messages")
        print(f"{'measure':24}" + "".join(f"{a.name:>11}" for a in approaches))
        results = {}
        for a in approaches:
            cases = [Case(r["id"], r["text"], r, a(r["text"]), False, 0.0) for r in rows]
            results[a.name] = score(cases).measures
        for m in measures:
            cells = []
            for a in approaches:
                v = results[a.name].get(m)
                cells.append(f"{'n/a':>11}" if v is None else f"{v * 100:10.1f}%")
            print(f"{m:24}" + "".join(cells))


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT_SETS)
