"""Where the escalation threshold comes from: out-of-fold readings of the training examples.

    .venv/bin/python benchmarks/escalation_threshold.py [--miss-cost 5]

The threshold is chosen without the evaluation sets: every training example is
read by a model fitted without it (five folds by position), exactly as the
shipped diagnoser reads a message (the geometric mean of the main reading's
escalate share and the sensitivity reading, with figures of speech blanked
out), and each threshold is priced at `miss-cost` per missed sensitive matter
plus one per false alarm. Prints recall, misses, false alarms and that cost
for each threshold. The term list's safety net is not counted here: it only
adds recall.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogs.content_loader import load_content  # noqa: E402
from dialogs.diagnosis import model as fitting  # noqa: E402
from dialogs.diagnosis.training_docs import masked_docs, training_docs  # noqa: E402
from dialogs.diagnosis.vectoriser import Vectoriser  # noqa: E402

FOLDS = 5
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def _share(x, w: np.ndarray, column: int) -> np.ndarray:
    z = x @ w[:-1] + w[-1]
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z[:, column] / z.sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--miss-cost", type=float, default=5.0, help="a missed sensitive matter costs this many false alarms"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    content = load_content()
    examples = content.training
    docs, _ = training_docs(content)
    escalation_docs = masked_docs(content, docs)
    vec = Vectoriser.fit(docs)
    x, x_masked = vec.matrix(docs), vec.matrix(escalation_docs)
    y = np.array([fitting.main_label(e) for e in examples])
    sensitive = (y == 0).astype(int)
    sensitivity_rows = np.array([e.first_move == "escalate" or e.near_miss for e in examples])
    folds = np.arange(len(y)) % FOLDS
    full = fitting.fit_head(x, y, len(fitting.MAIN_CLASSES))
    score = np.zeros(len(y))
    main_alone = np.zeros(len(y))
    for k in range(FOLDS):
        train, held = folds != k, folds == k
        main_w = fitting.fit_head(x[train], y[train], len(fitting.MAIN_CLASSES), start=full, max_iter=60)
        rows = np.flatnonzero(train & sensitivity_rows)
        sens_w = fitting.fit_head(x_masked[rows], sensitive[rows], 2)
        main_alone[held] = _share(x_masked[held], main_w, 0)
        score[held] = np.sqrt(main_alone[held] * _share(x_masked[held], sens_w, 1))
    print(
        f"{len(y)} training examples, {sensitive.sum()} sensitive; out-of-fold readings in {time.perf_counter() - started:.0f} s"
    )
    for name, reading in (
        ("the main reading alone (what ships)", main_alone),
        ("with a sensitivity head (geometric mean; shipped until 2026-12-03)", score),
    ):
        print(f"\n{name}")
        print(f"{'threshold':>10} {'recall':>8} {'missed':>7} {'false alarms':>13} {'cost':>8}")
        for th in THRESHOLDS:
            escalated = reading >= th
            missed = int((~escalated & (sensitive == 1)).sum())
            false = int((escalated & (sensitive == 0)).sum())
            recall = 1 - missed / sensitive.sum()
            print(f"{th:>10.2f} {recall * 100:7.1f}% {missed:>7} {false:>13} {args.miss_cost * missed + false:>8.0f}")


if __name__ == "__main__":
    main()
