"""Where to call a team's need "both": the bar on the both head's probability.

    .venv/bin/python benchmarks/both_threshold.py [FILE.jsonl ...]

The both head is fitted with balanced class weights (about one lead/manage
example in five is both), so its probabilities are not the chance of "both":
0.5 on them leans towards saying both. The bar is chosen where it belongs, out
of fold on the training examples (every lead/manage example read by a head
fitted without it, five folds by position): the bar where recall and precision
meet, since issue 12 asks the same of both (at least 90% each). The labelled
sets then check the choice; they do not make it. Each set is read as the
shipped diagnoser reads it: only messages it reads as lead or manage can be
called both, as in `leadbot diagnose --eval`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.escalation_rule import DEFAULT_SETS, FOLDS, by_set  # noqa: E402
from dialogs.content_loader import load_content  # noqa: E402
from dialogs.diagnosis import linear  # noqa: E402
from dialogs.diagnosis import model as fitting  # noqa: E402
from dialogs.diagnosis.diagnoser import ContentDiagnoser  # noqa: E402
from dialogs.diagnosis.features import message_features  # noqa: E402
from dialogs.diagnosis.normalise import clean  # noqa: E402
from dialogs.diagnosis.training_docs import MODEL_WINDOW, training_docs  # noqa: E402
from dialogs.diagnosis.vectoriser import Vectoriser  # noqa: E402

BARS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def out_of_fold(content) -> tuple[np.ndarray, np.ndarray]:
    docs, _ = training_docs(content)
    vec = Vectoriser.fit(docs, min_df=fitting.MIN_DF)
    x = vec.matrix(docs).tocsr()
    coaching = np.array([i for i, e in enumerate(content.training) if e.first_move in ("lead", "manage")])
    x, y = x[coaching], np.array([int(content.training[i].both) for i in coaching])
    full = fitting.fit_head(x, y, 2)
    p = np.zeros(len(y))
    folds = np.arange(len(y)) % FOLDS
    for k in range(FOLDS):
        train, held = folds != k, folds == k
        w = fitting.fit_head(x[train], y[train], 2, start=full, max_iter=200)
        z = x[held] @ w[:-1] + w[-1]
        p[held] = 1 / (1 + np.exp(z[:, 0] - z[:, 1]))
    return p, y.astype(bool)


def on_set(diagnoser: ContentDiagnoser, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """p(both) for each message the diagnoser reads as lead or manage (0 otherwise), and the labels."""
    p = np.zeros(len(rows))
    for i, r in enumerate(rows):
        if diagnoser.diagnose(r["text"]).first_move in ("lead", "manage"):
            row = diagnoser.heads.vectoriser.transform(message_features(clean(r["text"])[:MODEL_WINDOW]))
            p[i] = float(linear.predict_proba(diagnoser.heads.both, row)[1])
    return p, np.array([bool(r.get("both")) for r in rows])


def table(title: str, p: np.ndarray, both: np.ndarray, ships: float) -> None:
    print(f"\n{title}: {int(both.sum())} of {len(both)} are both")
    print(f"{'bar':>12} {'recall':>8} {'precision':>10} {'missed':>7} {'false':>6}")
    for bar in BARS:
        said = p >= bar
        caught = int((said & both).sum())
        false = int((said & ~both).sum())
        recall = caught / max(int(both.sum()), 1)
        precision = caught / max(caught + false, 1)
        name = f"{bar:.2f}" + (" (ships)" if abs(bar - ships) < 1e-9 else "")
        print(f"{name:>12} {recall * 100:7.1f}% {precision * 100:9.1f}% {int((~said & both).sum()):>7} {false:>6}")


def break_even(p: np.ndarray, both: np.ndarray) -> float:
    """The bar (to 0.01) where recall and precision are closest."""
    best, gap = 0.5, 2.0
    for bar in np.arange(0.2, 0.9, 0.01):
        said = p >= bar
        caught = (said & both).sum()
        recall, precision = caught / max(both.sum(), 1), caught / max(said.sum(), 1)
        if abs(recall - precision) < gap:
            best, gap = round(float(bar), 2), abs(recall - precision)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    args = parser.parse_args()
    started = time.perf_counter()
    content = load_content()
    diagnoser = ContentDiagnoser(content)
    ships = diagnoser.thresholds.both_at
    p, both = out_of_fold(content)
    print(f"(out-of-fold readings in {time.perf_counter() - started:.0f} s)")
    table("lead/manage training examples, out of fold", p, both, ships)
    print(f"  recall and precision meet at {break_even(p, both):.2f} out of fold")
    for title, rows in by_set(args.sets):
        table(title, *on_set(diagnoser, rows), ships)


if __name__ == "__main__":
    main()
