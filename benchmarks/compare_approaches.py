"""The diagnosis against the plain baseline, and each of leadbot's own choices taken out one at a time.

    .venv/bin/pip install scikit-learn        # the baseline only; leadbot itself never imports it
    .venv/bin/python benchmarks/compare_approaches.py [--quick] [FILE.jsonl ...]

Default sets: ../shared/eval/public_dev.jsonl and public_dev2.jsonl, written
independently of the training data and never trained on (the figures mean
something only on wording nobody here wrote). Every approach learns only from
content/.

Approaches (each fitted afresh in this run):
- baseline: issue 12's bar, settings fixed in advance: scikit-learn TF-IDF over
  word 1-2-grams and word-bounded character 3-5-grams (sublinear tf), one
  multinomial logistic regression per head (C = 10, balanced classes), no
  term lists, no rules; trained on the training examples as they stood before
  this round of data (`--baseline-data old`, the default) or on all of them;
- leadbot: what ships;
- leadbot - X: leadbot with one choice taken out (see ABLATIONS);
- leadbot, old data: leadbot's model on the 3,510 examples the baseline was
  first measured with, to separate the model from the data.

`--quick` skips the ablations. Prints one table per set, then the topic
confusion matrix for leadbot on the sets that label topics.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import Case, asks, read_labelled, score  # noqa: E402
from dialogs.content_loader import load_content  # noqa: E402
from dialogs.diagnosis.diagnoser import ContentDiagnoser  # noqa: E402
from dialogs.diagnosis.report import record  # noqa: E402

SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.exists()), ROOT.parent / "shared"
)
DEFAULT_SETS = [SHARED / "eval" / "public_dev.jsonl", SHARED / "eval" / "public_dev2.jsonl"]
# The training files the baseline was first measured on (3,510 examples, before issues 11 and 12).
OLD_TRAINING = [
    "escalate.yaml",
    "escalate_subtle.yaml",
    "individuals.yaml",
    "lead_confidence.yaml",
    "lead_uncertainty.yaml",
    "manage_control.yaml",
    "manage_inconsistency.yaml",
    "near_misses.yaml",
    "near_misses_ordinary.yaml",
    "none.yaml",
    "seed.yaml",
    "vague.yaml",
]
MOVE = {"uncertainty": "lead", "confidence": "lead", "inconsistency": "manage", "control": "manage"}
MEASURES = [
    "first_move accuracy",
    "problem accuracy",
    "escalate recall",
    "escalate precision",
    "escalations shown an acceptable topic",
    "none accuracy",
    "both recall",
    "both precision",
    "pattern accuracy",
    "accuracy when committing",
    "asked rate",
]


def content_with(training_files: list[str] | None):
    """The content, optionally with only some training files (a temporary copy)."""
    if training_files is None:
        return load_content(), None
    tmp = Path(tempfile.mkdtemp(prefix="leadbot-content-"))
    shutil.copytree(ROOT / "content", tmp / "content", ignore=shutil.ignore_patterns("__pycache__"))
    for path in (tmp / "content" / "training").glob("*.yaml"):
        if path.name not in training_files:
            path.unlink()
    return load_content(tmp / "content"), tmp


def baseline_features():
    """The baseline's features, unfitted: TF-IDF over word 1-2-grams and word-bounded character 3-5-grams."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
        ]
    )


def baseline_head():
    """One of the baseline's heads, unfitted."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10, class_weight="balanced", max_iter=3000)


class Baseline:
    """scikit-learn TF-IDF + logistic regression, one head per label, nothing else."""

    def __init__(self, content):
        examples = content.training
        self.vec = baseline_features()
        x = self.vec.fit_transform([e.text for e in examples])
        lr = baseline_head

        self.main = lr().fit(x, [e.problem or e.first_move for e in examples])
        coaching = [i for i, e in enumerate(examples) if e.first_move in ("lead", "manage")]
        self.both = lr().fit(x[coaching], [examples[i].both for i in coaching])
        self.pattern = lr().fit(x[coaching], [examples[i].pattern or "-" for i in coaching])
        esc = [i for i, e in enumerate(examples) if e.first_move == "escalate" and e.topic]
        self.topic = lr().fit(x[esc], [examples[i].topic for i in esc]) if esc else None
        self.ask_below = 0.0

    def __call__(self, text: str) -> dict:
        x = self.vec.transform([text])
        p = self.main.predict_proba(x)[0]
        label = self.main.classes_[p.argmax()]
        move = MOVE.get(label, label)
        return {
            "first_move": move,
            "problem": label if label in MOVE else None,
            "both": bool(self.both.predict(x)[0]) if move in ("lead", "manage") else False,
            "pattern": (None if (pat := self.pattern.predict(x)[0]) == "-" else pat)
            if move in ("lead", "manage")
            else None,
            "topic": self.topic.predict(x)[0] if move == "escalate" and self.topic is not None else None,
            "confidence": float(p.max()),
        }


class Leadbot:
    def __init__(self, content, diagnoser=None):
        self.content = content
        self.d = diagnoser or ContentDiagnoser(content, cache_dir=None)
        self.ask_below = self.d.ask_below

    def __call__(self, text: str) -> dict:
        return record(self.content, "-", self.d.diagnose(text))


def _no_terms(d: ContentDiagnoser) -> None:
    d.lexicon.topics = lambda text: []  # the escalation term list, as a safety net and as topic evidence


def _no_rules(d: ContentDiagnoser) -> None:
    """No help/privacy/forget phrases, no one-word or unreadable-message rules: the model reads everything."""
    import dialogs.diagnosis.diagnoser as module

    diagnose = d.diagnose
    d._unreadable = lambda rest: False

    def without_rules(text: str):
        saved = module.intent_of, module.TEAMISH
        module.intent_of, module.TEAMISH = (lambda t: None), module.re.compile(r".")
        try:
            return diagnose(text)
        finally:
            module.intent_of, module.TEAMISH = saved

    d.diagnose = without_rules


def _no_topic_phrases(content) -> ContentDiagnoser:
    import dialogs.diagnosis.training_docs as docs

    original = docs.training_docs
    docs.training_docs = lambda c: (original(c)[0], [])
    try:
        import dialogs.diagnosis.diagnoser as module

        module.training_docs = docs.training_docs
        return ContentDiagnoser(content, cache_dir=None)
    finally:
        docs.training_docs = original
        module.training_docs = original


def _uncalibrated(d: ContentDiagnoser) -> None:
    d.heads.temperature = 1.0  # confidence straight from the model, not fitted on held-out predictions


ABLATIONS = {
    "- term list": _no_terms,
    "- rules": _no_rules,
    "- calibration": _uncalibrated,
}


def run(approach, rows: list[dict]) -> dict:
    cases = []
    for row in rows:
        t0 = time.perf_counter()
        pred = approach(row["text"])
        cases.append(Case(row["id"], row["text"], row, pred, asks(pred, approach.ask_below), time.perf_counter() - t0))
    return {"scores": score(cases), "cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--quick", action="store_true", help="baseline and leadbot only")
    parser.add_argument("--baseline-data", choices=["old", "all"], default="old")
    args = parser.parse_args()

    content, _ = content_with(None)
    old_content, _ = content_with(OLD_TRAINING)
    approaches: list[tuple[str, object]] = []
    t0 = time.perf_counter()
    approaches.append(("baseline", Baseline(old_content if args.baseline_data == "old" else content)))
    approaches.append(("baseline, all data", Baseline(content)))
    print(f"(baselines fitted in {time.perf_counter() - t0:.0f} s)", flush=True)
    t0 = time.perf_counter()
    shipped = ContentDiagnoser(content, cache_dir=None)
    approaches.append(("leadbot", Leadbot(content, shipped)))
    print(f"(leadbot fitted in {time.perf_counter() - t0:.0f} s)", flush=True)
    if not args.quick:
        for name, take_out in ABLATIONS.items():
            d = ContentDiagnoser(content, cache_dir=None)
            take_out(d)
            approaches.append((f"leadbot {name}", Leadbot(content, d)))
        approaches.append(("leadbot - topic phrases", Leadbot(content, _no_topic_phrases(content))))
        approaches.append(("leadbot, old data", Leadbot(old_content)))

    all_rows: list[dict] = []
    for path in args.sets:
        if not path.exists():
            print(f"(skipping {path}: not found)")
            continue
        rows = read_labelled(path)
        all_rows += rows
        _table(path.name, rows, approaches)
    if len(args.sets) > 1:
        _table("all sets together", all_rows, approaches)
        with_topics = [r for r in all_rows if r.get("topics")]
        if with_topics:
            _topic_matrix(with_topics, approaches[2][1])


def _table(title: str, rows: list[dict], approaches) -> None:
    results = [(name, run(a, rows)["scores"].measures) for name, a in approaches]
    width = max(len(n) for n, _ in results) + 2
    print(f"\n{title}: {len(rows)} messages")
    print(f"{'measure':40}" + "".join(f"{n:>{width}}" for n, _ in results))
    for m in MEASURES:
        cells = "".join(
            f"{'n/a':>{width}}" if (v := r.get(m)) is None else f"{v * 100:{width - 1}.1f}%" for _, r in results
        )
        print(f"{m:40}" + cells)


def _topic_matrix(rows: list[dict], approach) -> None:
    """Rows: the labelled topic (the first acceptable one, or the one shown when acceptable); columns: what was shown."""
    shown = Counter()
    for row in rows:
        pred = approach(row["text"])
        got = pred.get("topic") if pred["first_move"] == "escalate" else "not escalated"
        gold = got if got in row["topics"] else row["topics"][0]
        shown[(gold, got or "(none)")] += 1
    golds = sorted({g for g, _ in shown})
    cols = sorted({c for _, c in shown})
    short = {c: c[:10] for c in cols}
    print("\ntopic confusion for leadbot (rows: label, columns: shown)")
    print(f"{'':22}" + "".join(f"{short[c]:>11}" for c in cols))
    for g in golds:
        print(f"{g:22}" + "".join(f"{shown[(g, c)] or '.':>11}" for c in cols))


if __name__ == "__main__":
    main()
