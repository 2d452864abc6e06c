"""The learned part of the diagnosis, fitted on `content/training/*.yaml`.

One set of features (dialogs/diagnosis/features.py) and four linear heads:
- `main`: escalate, none, uncertainty, confidence, inconsistency, control
  (first_move follows from the problem);
- `both`: does the team clearly need both moves? (fitted on lead/manage examples);
- `pattern`: none or one of the six common mistakes (lead/manage examples);
- `topic`: which escalation topic (fitted on escalate examples, by their `topic`);
- (no separate sensitivity head: one fitted on sensitive matters against near
  misses and averaged with the main head helped on our own examples but cost
  precision on independently written messages, and out-of-fold it priced worse
  than the main head alone; see benchmarks/escalation_rule.py).

Each head is a multinomial logistic regression with balanced class weights and
L2 = 1/C with C = 10: the plain baseline of issue 12, which beat every
hand-made layer tried on top of it on independently written messages.

`temperature` calibrates the main head: it is fitted on out-of-fold
predictions (each example scored by a model that never saw it), so that a
reported confidence of 0.8 is right about 80% of the time on messages like the
training examples.

Fitting takes several seconds, so fitted weights are cached on disk under a
key made of the content's fingerprint and the code's: the same content always
gives the same model, and changed content or code is refitted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialogs.content_schema import TrainingExample
from dialogs.diagnosis import linear
from dialogs.diagnosis.vectoriser import Vectoriser

log = logging.getLogger(__name__)

MODEL_VERSION = "4"
FOLDS = 5
FOLD_ITERATIONS = 30
MAIN_CLASSES = ["escalate", "none", "uncertainty", "confidence", "inconsistency", "control"]
PATTERN_CLASSES = [
    "-",
    "specialist_promoted",
    "charisma",
    "paperwork",
    "over_managing",
    "over_leading",
    "agreement_not_commitment",
]
L2 = 0.1  # scikit-learn's C = 10
MIN_DF = 1


@dataclass
class Heads:
    vectoriser: Vectoriser
    main: np.ndarray
    both: np.ndarray
    pattern: np.ndarray
    temperature: float
    topics: list[str]
    topic: np.ndarray | None

    def arrays(self) -> dict[str, np.ndarray]:
        out = {
            "vocabulary": np.array(self.vectoriser.vocabulary),
            "idf": self.vectoriser.idf,
            "main": self.main,
            "both": self.both,
            "pattern": self.pattern,
            "temperature": np.array([self.temperature]),
            "topics": np.array(self.topics or [""]),
        }
        if self.topic is not None:
            out["topic"] = self.topic
        return out

    @classmethod
    def from_arrays(cls, z) -> Heads:
        topics = [str(t) for t in z["topics"] if str(t)]
        return cls(
            Vectoriser([str(v) for v in z["vocabulary"]], z["idf"]),
            z["main"],
            z["both"],
            z["pattern"],
            float(z["temperature"][0]),
            topics,
            z["topic"] if "topic" in z.files else None,
        )


def main_label(ex: TrainingExample) -> int:
    return MAIN_CLASSES.index(ex.problem if ex.problem else ex.first_move)


def balanced(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Weights that give each class the same total, so a big pile of one kind does not drown the rest."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    return (len(y) / (n_classes * np.maximum(counts, 1)))[y]


def fit_head(x, y: np.ndarray, n_classes: int, start: np.ndarray | None = None, max_iter: int = 500) -> np.ndarray:
    """Weights for every feature; only the features present in `x` are fitted.

    A feature that never occurs in a head's examples has an optimal weight of exactly zero
    under L2, so the smaller heads (topic, both, pattern) are fitted over their own columns
    and scattered back: the same model, several times faster.
    """
    x = x.tocsr()
    used = np.unique(x.indices)
    if len(used) == x.shape[1]:
        return linear.fit(x, y, n_classes, l2=L2, sample_weight=balanced(y, n_classes), start=start, max_iter=max_iter)
    rows = np.append(used, x.shape[1])  # the bias row comes last
    small = linear.fit(
        x[:, used],
        y,
        n_classes,
        l2=L2,
        sample_weight=balanced(y, n_classes),
        start=None if start is None else start[rows],
        max_iter=max_iter,
    )
    weights = np.zeros((x.shape[1] + 1, n_classes))
    weights[rows] = small
    return weights


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of out-of-fold predictions (golden-section search)."""

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    lo, hi = 0.05, 5.0
    g = (5**0.5 - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    for _ in range(60):
        if nll(a) < nll(b):
            hi, b = b, a
            a = hi - g * (hi - lo)
        else:
            lo, a = a, b
            b = lo + g * (hi - lo)
    return (lo + hi) / 2


def out_of_fold_logits(x, y: np.ndarray, full: np.ndarray) -> np.ndarray:
    """Each example's main-head logits from a model fitted without it (FOLDS folds, by position)."""
    logits = np.zeros((len(y), len(MAIN_CLASSES)))
    folds = np.arange(len(y)) % FOLDS
    for k in range(FOLDS):
        train, test = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
        # Warm-started from the full model and stopped early: a temperature needs roughly
        # right held-out logits, not a fully converged model per fold.
        w = fit_head(x[train], y[train], len(MAIN_CLASSES), start=full, max_iter=FOLD_ITERATIONS)
        logits[test] = x[test] @ w[:-1] + w[-1]
    return logits


def fit_heads(
    examples: list[TrainingExample],
    docs: list[list[str]],
    topic_phrases: list[tuple[str, list[str]]] = (),
    calibrate: bool = True,
) -> Heads:
    """`topic_phrases`: (topic id, features) of each term and hint in escalation.yaml. They join the
    topic head's examples, so the words content authors list for a topic teach it which topic they point to."""
    vec = Vectoriser.fit(docs, min_df=MIN_DF)
    x = vec.matrix(docs)
    y_main = np.array([main_label(e) for e in examples])
    main = fit_head(x, y_main, len(MAIN_CLASSES))
    temperature = fit_temperature(out_of_fold_logits(x, y_main, main), y_main) if calibrate else 1.0

    coaching = np.array([i for i, e in enumerate(examples) if e.first_move in ("lead", "manage")])
    y_both = np.array([int(examples[i].both) for i in coaching])
    both = fit_head(x[coaching], y_both, 2)
    y_pat = np.array([PATTERN_CLASSES.index(examples[i].pattern or "-") for i in coaching])
    pattern = fit_head(x[coaching], y_pat, len(PATTERN_CLASSES))

    labelled = [i for i, e in enumerate(examples) if e.first_move == "escalate" and e.topic]
    topics = sorted({examples[i].topic for i in labelled})
    topic = None
    if len(topics) >= 2:
        from scipy.sparse import vstack

        phrases = [(t, f) for t, f in topic_phrases if t in topics]
        x_topic = (
            vstack([x[np.array(labelled)], vec.matrix([f for _, f in phrases])]) if phrases else x[np.array(labelled)]
        )
        y_topic = np.array([topics.index(examples[i].topic) for i in labelled] + [topics.index(t) for t, _ in phrases])
        topic = fit_head(x_topic.tocsr(), y_topic, len(topics))
    return Heads(vec, main, both, pattern, temperature, topics, topic)


# The code a fitted model depends on. Thresholds, topic choice and replies are read at run
# time, so changing them never forces a refit.
FITTING_CODE = [
    "features.py",
    "linear.py",
    "model.py",
    "normalise.py",
    "training_docs.py",
    "vectoriser.py",
    "../terms.py",
]


def code_fingerprint() -> str:
    """The fitting code itself, so that a cached model is never used by code that would fit it differently."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in [here / name for name in FITTING_CODE]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(fingerprint: str, feature_version: str) -> str:
    return hashlib.sha256(f"{MODEL_VERSION}:{feature_version}:{code_fingerprint()}:{fingerprint}".encode()).hexdigest()[
        :24
    ]


def model_cache_file(fingerprint: str, feature_version: str) -> str:
    return f"model-{cache_key(fingerprint, feature_version)}.npz"


def load_or_fit(
    examples: list[TrainingExample], docs_fn, fingerprint: str, feature_version: str, cache_dir: Path | None
) -> Heads:
    """`docs_fn()` gives (features of each example, topic phrases) and is called only when fitting."""
    if cache_dir is None:
        return fit_heads(examples, *docs_fn())
    path = cache_dir / model_cache_file(fingerprint, feature_version)
    try:
        with np.load(path, allow_pickle=False) as z:
            return Heads.from_arrays(z)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        pass  # missing, truncated or from another version: fit afresh
    heads = fit_heads(examples, *docs_fn())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **heads.arrays())
        os.replace(tmp, path)  # atomic: two processes fitting at once both end with a whole file
    except OSError as exc:
        log.info("model cache not written (%s); it will be refitted next start", type(exc).__name__)
    return heads
