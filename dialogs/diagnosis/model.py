"""The learned part of the diagnosis, fitted on `content/training/*.yaml`.

Four linear heads share one set of features:
- `main`: escalate, none, uncertainty, confidence, inconsistency, control
  (first_move follows from the problem);
- `escalate`: a separate yes/no reading of "is this a sensitive matter?"
  over a narrower view (words and escalation hints). Averaged with the main
  head's escalate class it is the second escalation layer, after the
  content's term list: two readings of the message from different features
  disagree less often on false alarms than either alone;
- `both`: does the team clearly need both moves?
- `pattern`: none or one of the six common mistakes.

`temperature` calibrates the main head: it is fitted on out-of-fold
predictions (each example scored by a model that never saw it), so that a
reported confidence of 0.8 is right about 80% of the time on messages like
the training examples.

Fitting takes a second or two, so the fitted weights are cached on disk under
a key made of the content's fingerprint and this module's version: the same
content always gives the same model, and changed content is refitted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialogs.content_schema import TrainingExample
from dialogs.diagnosis import linear
from dialogs.diagnosis.vectoriser import Vectoriser

log = logging.getLogger(__name__)

MODEL_VERSION = "3"
FOLDS = 5
MAIN_CLASSES = ["escalate", "none", "uncertainty", "confidence", "inconsistency", "control"]
PATTERN_CLASSES = ["-", "specialist_promoted", "charisma", "paperwork", "over_managing", "over_leading", "agreement_not_commitment"]


@dataclass
class Heads:
    vectoriser: Vectoriser  # the main view: words, pairs, character 4-grams, cues, hints
    main: np.ndarray
    both: np.ndarray
    pattern: np.ndarray
    temperature: float
    escalate_vectoriser: Vectoriser  # the escalation view: words, pairs and hints only
    escalate: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "vocabulary": np.array(self.vectoriser.vocabulary),
            "idf": self.vectoriser.idf,
            "main": self.main,
            "both": self.both,
            "pattern": self.pattern,
            "temperature": np.array([self.temperature]),
            "escalate_vocabulary": np.array(self.escalate_vectoriser.vocabulary),
            "escalate_idf": self.escalate_vectoriser.idf,
            "escalate": self.escalate,
        }

    @classmethod
    def from_arrays(cls, z) -> "Heads":
        return cls(
            Vectoriser([str(v) for v in z["vocabulary"]], z["idf"]),
            z["main"],
            z["both"],
            z["pattern"],
            float(z["temperature"][0]),
            Vectoriser([str(v) for v in z["escalate_vocabulary"]], z["escalate_idf"]),
            z["escalate"],
        )


def _main_label(ex: TrainingExample) -> int:
    return MAIN_CLASSES.index(ex.problem if ex.problem else ex.first_move)


def _balanced(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Weights that give each class the same total, so a big pile of one kind does not drown the rest."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    return (len(y) / (n_classes * np.maximum(counts, 1)))[y]


def _fit_main(rows: list[dict[int, float]], y: np.ndarray, n_features: int, start: np.ndarray | None = None) -> np.ndarray:
    return linear.fit(rows, y, len(MAIN_CLASSES), n_features, l2=L2, sample_weight=_balanced(y, len(MAIN_CLASSES)), start=start)


L2 = 0.5
# A feature seen in only one example cannot generalise; dropping those keeps a third of the
# vocabulary, fits five times faster and scores the same on held-out messages.
MIN_DF = 2


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of out-of-fold predictions (golden-section search)."""

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    lo, hi = 0.05, 5.0
    g = (5 ** 0.5 - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    for _ in range(60):
        if nll(a) < nll(b):
            hi, b = b, a
            a = hi - g * (hi - lo)
        else:
            lo, a = a, b
            b = lo + g * (hi - lo)
    return (lo + hi) / 2


def out_of_fold_logits(rows: list[dict[int, float]], y: np.ndarray, n_features: int, full: np.ndarray) -> np.ndarray:
    """Each example's logits from a model fitted without it (FOLDS folds, assigned by position)."""
    logits = np.zeros((len(y), len(MAIN_CLASSES)))
    folds = np.arange(len(y)) % FOLDS
    for k in range(FOLDS):
        train = np.flatnonzero(folds != k)
        w = _fit_main([rows[i] for i in train], y[train], n_features, start=full)
        for i in np.flatnonzero(folds == k):
            logits[i] = linear.logits(w, rows[i])
    return logits


def fit_heads(examples: list[TrainingExample], docs: list[list[str]], escalate_docs: list[list[str]]) -> Heads:
    vec = Vectoriser.fit(docs, min_df=MIN_DF)
    rows = [vec.transform(d) for d in docs]
    n = len(vec.vocabulary)
    y_main = np.array([_main_label(e) for e in examples])
    main = _fit_main(rows, y_main, n)
    temperature = fit_temperature(out_of_fold_logits(rows, y_main, n, main), y_main)

    esc_vec = Vectoriser.fit(escalate_docs, min_df=MIN_DF)
    esc_rows = [esc_vec.transform(d) for d in escalate_docs]
    y_esc = np.array([int(e.first_move == "escalate") for e in examples])
    escalate = linear.fit(esc_rows, y_esc, 2, len(esc_vec.vocabulary), l2=L2, sample_weight=_balanced(y_esc, 2))

    coaching = [i for i, e in enumerate(examples) if e.first_move in ("lead", "manage")]
    coaching_rows = [rows[i] for i in coaching]
    y_both = np.array([int(examples[i].both) for i in coaching])
    both = linear.fit(coaching_rows, y_both, 2, n, l2=L2, sample_weight=_balanced(y_both, 2))
    y_pat = np.array([PATTERN_CLASSES.index(examples[i].pattern or "-") for i in coaching])
    # Patterns are rare (most messages show none): weight them up, half-way to balanced,
    # so the head will name one when it is there without seeing one everywhere.
    pattern = linear.fit(coaching_rows, y_pat, len(PATTERN_CLASSES), n, l2=L2, sample_weight=np.sqrt(_balanced(y_pat, len(PATTERN_CLASSES))))
    return Heads(vec, main, both, pattern, temperature, esc_vec, escalate)


def code_fingerprint() -> str:
    """The diagnosis code itself, so that a cached model is never used by code that would fit it differently."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*here.glob("*.py"), here.parent / "terms.py"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(fingerprint: str, feature_version: str) -> str:
    return hashlib.sha256(f"{MODEL_VERSION}:{feature_version}:{code_fingerprint()}:{fingerprint}".encode()).hexdigest()[:24]


def load_or_fit(examples: list[TrainingExample], docs_fn, fingerprint: str, feature_version: str, cache_dir: Path | None) -> Heads:
    if cache_dir is None:
        return fit_heads(examples, *docs_fn())
    path = cache_dir / f"model-{cache_key(fingerprint, feature_version)}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            return Heads.from_arrays(z)
    except (OSError, KeyError, ValueError):
        pass
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
