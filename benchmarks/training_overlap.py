"""How close is any training example to a labelled message we measure on?

A labelled set only measures wording the model has not seen. This prints, for
every labelled set found (the public sets in ../shared/eval, the holdout and
the Welsh/English parallel set in benchmarks/data), how many training examples
lie within a cosine of --bar (character 3-5-grams inside words, TF-IDF over
both sides) of one of its messages, and the closest pairs. Run it before
committing new training data; anything it lists is rewritten or dropped.

    python benchmarks/training_overlap.py [--bar 0.5] [--file both_in_order.yaml ...] [--show 10]

It prints only the training side's text: a labelled set's message is shown by
its id, never quoted, so the output can be pasted into a note.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import PUBLIC_DEV  # noqa: E402


def labelled_sets() -> dict[str, list[dict]]:
    paths = [PUBLIC_DEV, PUBLIC_DEV.with_name("public_dev2.jsonl")]
    paths += sorted((ROOT / "benchmarks" / "data").glob("*.jsonl"))
    return {
        p.name: rows
        for p in paths
        if p.exists()
        # a set of labelled messages, not of something else about them (the presupposition audit)
        if (rows := [r for r in map(json.loads, filter(str.strip, p.read_text("utf-8").splitlines())) if "text" in r])
    }


def training(files: list[str]) -> list[tuple[str, str]]:
    import yaml

    chosen = [ROOT / "content" / "training" / f for f in files] if files else None
    paths = chosen or sorted((ROOT / "content" / "training").glob("*.yaml"))
    found = []
    for path in paths:
        for example in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]:
            found.append((path.name, example["text"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bar", type=float, default=0.5)
    parser.add_argument("--file", action="append", default=[], help="only these training files (names)")
    parser.add_argument("--show", type=int, default=10)
    parser.add_argument(
        "--min-words", type=int, default=6, help="shorter examples are left out ('hiya', 'test' are bound to recur)"
    )
    args = parser.parse_args()

    from sklearn.feature_extraction.text import TfidfVectorizer

    train = [(f, t) for f, t in training(args.file) if len(t.split()) >= args.min_words]
    sets = labelled_sets()
    texts = [t for _, t in train] + [r["text"] for rows in sets.values() for r in rows]
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(texts)
    train_m = vectoriser.transform([t for _, t in train])
    print(f"{len(train)} training examples of {args.min_words}+ words; a pair is near at cosine >= {args.bar}")
    worst = []
    for name, rows in sets.items():
        sims = (vectoriser.transform([r["text"] for r in rows]) @ train_m.T).toarray()
        near = sims >= args.bar
        print(f"  {name:40} {len(rows):4} messages: {int(near.any(axis=0).sum()):3} training examples near one")
        for i, j in zip(*near.nonzero(), strict=True):
            worst.append((sims[i, j], name, rows[i].get("id", i), *train[j]))
    for sim, name, row_id, file, text in sorted(worst, reverse=True)[: args.show]:
        print(f"  {sim:.2f}  {name} {row_id}  <-  {file}: {text[:90]}")


if __name__ == "__main__":
    main()
