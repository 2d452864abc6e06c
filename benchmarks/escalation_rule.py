"""Which escalation rule: a threshold on the escalate share, or the model's likeliest reading (arg-max).

    .venv/bin/python benchmarks/escalation_rule.py [--miss-cost 5] [FILE.jsonl ...]

Two views of the same rules, side by side:

- out of fold on the training examples: every example read by a model fitted
  without it (five folds by position), figures of speech blanked out, as the
  shipped diagnoser reads a message; each rule priced at `miss-cost` per missed
  sensitive matter plus one per false alarm. This view chose 0.20 before;
- on labelled sets nobody trained on: by default the two public sets (written
  independently of the training data), our own holdout and the Welsh and
  English parallel set (both written by the same hands as the training data),
  read by the shipped model.

The term list's safety net is left out of both views (a term with a share of
at least 0.15, or any term of an urgent topic, escalates whatever the rule), so
the figures are the model's own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import read_labelled  # noqa: E402
from dialogs.content_loader import load_content  # noqa: E402
from dialogs.diagnosis import model as fitting  # noqa: E402
from dialogs.diagnosis.diagnoser import ContentDiagnoser  # noqa: E402
from dialogs.diagnosis.normalise import clean  # noqa: E402
from dialogs.diagnosis.training_docs import MODEL_WINDOW, masked_docs, training_docs  # noqa: E402
from dialogs.diagnosis.vectoriser import Vectoriser  # noqa: E402

FOLDS = 5
THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45)
# (name, threshold, also the arg-max): "share >= t" alone, or the arg-max with a floor of t under it.
RULES = (
    [("arg-max", None, True)]
    + [(f"arg-max or >= {t:.2f}" + (" (ships)" if t == 0.4 else ""), t, True) for t in THRESHOLDS]
    + [(f"share >= {t:.2f}", t, False) for t in THRESHOLDS]
)
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.exists()), ROOT.parent / "shared"
)
DEFAULT_SETS = [
    SHARED / "eval" / "public_dev.jsonl",
    SHARED / "eval" / "public_dev2.jsonl",
    ROOT / "benchmarks" / "data" / "holdout.jsonl",
    ROOT / "benchmarks" / "data" / "eval_en.jsonl",
    ROOT / "benchmarks" / "data" / "eval_cy.jsonl",
]


def _probabilities(x, w: np.ndarray) -> np.ndarray:
    z = x @ w[:-1] + w[-1]
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def escalates(p: np.ndarray, threshold: float | None, argmax: bool) -> np.ndarray:
    """Rows of class probabilities (escalate first) -> which escalate under the rule."""
    by_argmax = p.argmax(axis=1) == 0 if argmax else np.zeros(len(p), dtype=bool)
    return by_argmax if threshold is None else by_argmax | (p[:, 0] >= threshold)


def out_of_fold(content) -> tuple[np.ndarray, np.ndarray]:
    docs, _ = training_docs(content)
    vec = Vectoriser.fit(docs)
    x, x_masked = vec.matrix(docs), vec.matrix(masked_docs(content, docs))
    y = np.array([fitting.main_label(e) for e in content.training])
    folds = np.arange(len(y)) % FOLDS
    full = fitting.fit_head(x, y, len(fitting.MAIN_CLASSES))
    p = np.zeros((len(y), len(fitting.MAIN_CLASSES)))
    for k in range(FOLDS):
        train, held = folds != k, folds == k
        w = fitting.fit_head(x[train], y[train], len(fitting.MAIN_CLASSES), start=full, max_iter=60)
        p[held] = _probabilities(x_masked[held], w)
    return p, y == 0


def on_set(diagnoser: ContentDiagnoser, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    p = np.array([diagnoser.sensitive_reading(clean(r["text"])[:MODEL_WINDOW]) for r in rows])
    return p, np.array([r["first_move"] == "escalate" for r in rows])


def by_set(paths: list[Path]) -> list[tuple[str, list[dict]]]:
    """Each labelled set found, by name, then "both public sets together" when there are any."""
    found, public = [], []
    for path in paths:
        if not path.exists():
            print(f"\n(skipping {path}: not found)")
            continue
        rows = read_labelled(path)
        if path.name.startswith("public_"):
            public += rows
        found.append((path.name, rows))
    return found + ([("both public sets together", public)] if public else [])


def table(title: str, p: np.ndarray, sensitive: np.ndarray, miss_cost: float) -> None:
    print(f"\n{title}: {len(sensitive)} messages, {int(sensitive.sum())} sensitive")
    print(f"{'rule':>20} {'recall':>8} {'precision':>10} {'missed':>7} {'false alarms':>13} {'cost':>7}")
    for name, threshold, argmax in RULES:
        esc = escalates(p, threshold, argmax)
        missed = int((~esc & sensitive).sum())
        false = int((esc & ~sensitive).sum())
        caught = int((esc & sensitive).sum())
        recall = caught / max(int(sensitive.sum()), 1)
        precision = caught / max(caught + false, 1)
        print(
            f"{name:>20} {recall * 100:7.1f}% {precision * 100:9.1f}% {missed:>7} {false:>13} {miss_cost * missed + false:>7.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument(
        "--miss-cost", type=float, default=5.0, help="a missed sensitive matter costs this many false alarms"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    content = load_content()
    p, sensitive = out_of_fold(content)
    print(f"(out-of-fold readings in {time.perf_counter() - started:.0f} s)")
    table("training examples, out of fold", p, sensitive, args.miss_cost)

    diagnoser = ContentDiagnoser(content)
    for title, rows in by_set(args.sets):
        table(title, *on_set(diagnoser, rows), args.miss_cost)


if __name__ == "__main__":
    main()
