"""The sets the diagnosis is measured on stay apart from what it is trained on.

A measuring set only says something about wording the model has not seen. A
training example that is a near copy of a measuring-set message (character
3-5-grams inside words, TF-IDF, cosine at or above 0.6) makes the set flatter
the model; this catches one added by accident or written from a set's
messages. `benchmarks/training_overlap.py` reviews new data at a stricter 0.5,
where a pair can sit right at the line (one public pair is at 0.50), which is
a call for a person rather than a test. The persona
sets and the scenario cards in `benchmarks/data/` are checked always, the public sets when they are
on this machine (`../shared/eval/`). The older holdout and the Welsh/English
parallel set are not held to it: they already share some wording with the
training data (benchmarks/README.md, "A blind-labelled persona set").
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from dialogs.diagnosis.features import char_features
from dialogs.diagnosis.vectoriser import Vectoriser

ROOT = Path(__file__).resolve().parent.parent
BAR = 0.6
MIN_WORDS = 6  # "hiya" and "thanks a lot" are bound to recur
KEPT_APART = [
    ROOT / "benchmarks" / "data" / "persona_blind.jsonl",
    ROOT / "benchmarks" / "data" / "persona_escalations.jsonl",
    ROOT / "benchmarks" / "data" / "scenario_cards.jsonl",
]
PUBLIC = [ROOT.parent / "shared" / "eval" / "public_dev.jsonl", ROOT.parent / "shared" / "eval" / "public_dev2.jsonl"]


def _training() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "content" / "training").glob("*.yaml")):
        for example in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]:
            if len(example["text"].split()) >= MIN_WORDS:
                found.append((path.name, example["text"]))
    return found


def _messages(path: Path) -> list[tuple[str, str]]:
    """(file and id, text) of each labelled message in a JSONL file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(f"{path.name} {row.get('id', '')}", row["text"]) for row in rows if "text" in row]


def test_no_training_example_is_a_near_copy_of_a_message_we_measure_on():
    measured = [m for path in KEPT_APART + [p for p in PUBLIC if p.exists()] for m in _messages(path)]
    assert len(measured) >= 346 + 335, "both persona sets and the scenario cards are here"
    training = _training()
    docs = [char_features(text.lower()) for _, text in training] + [char_features(t.lower()) for _, t in measured]
    # The feature weights come from every labelled message here as well, as in training_overlap.py,
    # so that the two agree on what "near" is.
    others = [
        char_features(t.lower())
        for path in sorted((ROOT / "benchmarks" / "data").glob("*.jsonl"))
        if path not in KEPT_APART
        for _, t in _messages(path)
    ]
    vectoriser = Vectoriser.fit(docs + others)
    train_m = vectoriser.matrix(docs[: len(training)])
    measured_m = vectoriser.matrix(docs[len(training) :])
    similarity = (measured_m @ train_m.T).tocoo()
    near = sorted(
        (
            (s, measured[i][0], *training[j])
            for i, j, s in zip(similarity.row, similarity.col, similarity.data, strict=True)
            if s >= BAR
        ),
        reverse=True,
    )
    assert not near, "training examples too close to a measured message:\n" + "\n".join(
        f"  {s:.2f} {where} <- {file}: {text[:80]}" for s, where, file, text in near[:10]
    )
