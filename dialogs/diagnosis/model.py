"""The learned part of the diagnosis, fitted on `content/training/*.yaml`.

Three linear heads share one set of features:
- `main`: escalate, none, uncertainty, confidence, inconsistency, control
  (first_move follows from the problem);
- `both`: does the team clearly need both moves?
- `pattern`: none or one of the six common mistakes.

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

MODEL_VERSION = "1"
MAIN_CLASSES = ["escalate", "none", "uncertainty", "confidence", "inconsistency", "control"]
PATTERN_CLASSES = ["-", "specialist_promoted", "charisma", "paperwork", "over_managing", "over_leading", "agreement_not_commitment"]


@dataclass
class Heads:
    vectoriser: Vectoriser
    main: np.ndarray
    both: np.ndarray
    pattern: np.ndarray


def _main_label(ex: TrainingExample) -> int:
    return MAIN_CLASSES.index(ex.problem if ex.problem else ex.first_move)


def fit_heads(examples: list[TrainingExample], docs: list[list[str]]) -> Heads:
    vec = Vectoriser.fit(docs)
    rows = [vec.transform(d) for d in docs]
    x = linear.SparseRows.build(rows, len(vec.vocabulary))
    y_main = np.array([_main_label(e) for e in examples])
    # Balance classes so that a big pile of one kind of example does not drown the others.
    counts = np.bincount(y_main, minlength=len(MAIN_CLASSES)).astype(float)
    weight = (len(y_main) / (len(MAIN_CLASSES) * np.maximum(counts, 1)))[y_main]
    main = linear.fit(x, y_main, len(MAIN_CLASSES), l2=1.0, sample_weight=weight)

    coaching = [i for i, e in enumerate(examples) if e.first_move in ("lead", "manage")]
    xc = linear.SparseRows.build([rows[i] for i in coaching], len(vec.vocabulary))
    y_both = np.array([int(examples[i].both) for i in coaching])
    both_counts = np.bincount(y_both, minlength=2).astype(float)
    both = linear.fit(xc, y_both, 2, l2=1.0, sample_weight=(len(y_both) / (2 * np.maximum(both_counts, 1)))[y_both])
    y_pat = np.array([PATTERN_CLASSES.index(examples[i].pattern or "-") for i in coaching])
    pattern = linear.fit(xc, y_pat, len(PATTERN_CLASSES), l2=1.0)
    return Heads(vec, main, both, pattern)


def cache_key(fingerprint: str, feature_version: str) -> str:
    return hashlib.sha256(f"{MODEL_VERSION}:{feature_version}:{fingerprint}".encode()).hexdigest()[:24]


def load_or_fit(examples: list[TrainingExample], docs_fn, fingerprint: str, feature_version: str, cache_dir: Path | None) -> Heads:
    if cache_dir is None:
        return fit_heads(examples, docs_fn())
    path = cache_dir / f"model-{cache_key(fingerprint, feature_version)}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            vec = Vectoriser([str(v) for v in z["vocabulary"]], z["idf"])
            return Heads(vec, z["main"], z["both"], z["pattern"])
    except (OSError, KeyError, ValueError):
        pass
    heads = fit_heads(examples, docs_fn())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, vocabulary=np.array(heads.vectoriser.vocabulary), idf=heads.vectoriser.idf, main=heads.main, both=heads.both, pattern=heads.pattern)
        os.replace(tmp, path)  # atomic: two processes fitting at once both end with a whole file
    except OSError as exc:
        log.info("model cache not written (%s); it will be refitted next start", type(exc).__name__)
    return heads
