"""Is the advice fitted to what the manager said? Two measures, printed; neither is a timed test.

1. The fit set (benchmarks/data/fit_set.yaml): messages written for this project,
   each labelled by hand with the steps a coach would accept, the steps that
   would be wrong for it, the principles that would not fit, and the
   situations it really mentions. Scored with the hand-labelled diagnosis (so
   it measures the choice of advice, not the diagnosis) and again with the
   bot's own diagnosis.

2. The public evaluation sets (../shared/eval/public_dev*.jsonl, read to measure
   only): every message `leadbot diagnose --jsonl` coaches, and whether its
   next step presupposes something the message does not say. That is a
   person's judgement, kept in benchmarks/data/public_presupposition_audit.jsonl
   by message id, step id and a hash of the step's text (so a reworded step is
   judged again); no message text is stored. Pairs nobody has judged yet are
   listed, to judge by hand and add.

    .venv/bin/python benchmarks/fit_bench.py
    .venv/bin/python benchmarks/fit_bench.py --leadbot /path/to/other/checkout/.venv/bin/leadbot   # part 2 for another version
    .venv/bin/python benchmarks/fit_bench.py --show-unjudged   # print the unjudged messages' text, to judge them
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

FIT_SET = ROOT / "benchmarks" / "data" / "fit_set.yaml"
AUDIT = ROOT / "benchmarks" / "data" / "public_presupposition_audit.jsonl"
ASK_BELOW = float(os.environ.get("LEADBOT_ASK_BELOW", "0.85"))


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.1f}%)" if d else "0/0"


def fit_set() -> None:
    from dialogs.content_loader import load_content
    from dialogs.diagnosis.diagnoser import ContentDiagnoser
    from dialogs.selection import Fit, next_step, principle_for, ranked_principles
    from dialogs.situations import implied, situations_in

    content = load_content()
    diagnoser = ContentDiagnoser(content)
    cases = yaml.safe_load(FIT_SET.read_text())["messages"]
    print(f"Fit set: {len(cases)} hand-labelled messages ({FIT_SET.relative_to(ROOT)})")

    for mode in ("the hand-labelled diagnosis", "the bot's own diagnosis"):
        first_ok = first_wrong = offered = offered_wrong = offered_unjudged = principle_wrong = scored = 0
        for case in cases:
            d = diagnoser.diagnose(case["text"])
            said = situations_in(content, case["text"])
            if mode.startswith("the hand"):
                labels = (case["first_move"], case["problem"], case.get("pattern"), case.get("both", False))
            elif d.first_move in ("lead", "manage"):
                labels = (d.first_move, d.problem, d.pattern, d.both)
            else:
                continue  # not coached: nothing to score
            scored += 1
            fit = Fit.of(content, *labels, said, d.seed)
            shown: list[str] = []
            while (step := next_step(content, fit, shown)) is not None:
                shown.append(step.id)
            first_ok += shown[0] in case["accept"]
            first_wrong += shown[0] in case["wrong"]
            offered += len(shown)
            offered_wrong += sum(s in case["wrong"] for s in shown)
            offered_unjudged += sum(s not in case["wrong"] and s not in case["accept"] for s in shown)
            principle_wrong += principle_for(content, fit, content.next_steps[shown[0]]).id in case.get(
                "wrong_principles", []
            )
            if mode.startswith("the hand"):
                allowed = {p.id for p in ranked_principles(content, fit)}
                assert not allowed & set(case.get("wrong_principles", [])), case["id"]
        print(f"  with {mode} ({scored} coached):")
        print(f"    first step one a coach accepts:      {pct(first_ok, scored)}")
        print(f"    first step one a coach calls wrong:  {pct(first_wrong, scored)}")
        print(
            f"    every step offered (first + another step until none left): {offered}; wrong {pct(offered_wrong, offered)}; unjudged {pct(offered_unjudged, offered)}"
        )
        print(f"    principle shown first that does not fit: {pct(principle_wrong, scored)}")

    tp = fp = fn = 0
    for case in cases:
        got, gold = implied(content, situations_in(content, case["text"]), None), set(case["situations"])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    print(f"  situations read from the message: precision {pct(tp, tp + fp)}, recall {pct(tp, tp + fn)}")


def fit_set_via_cli(leadbot: str) -> None:
    """The fit set's first steps as `leadbot diagnose --jsonl` gives them: works for any version, old or new."""
    cases = yaml.safe_load(FIT_SET.read_text())["messages"]
    feed = "".join(json.dumps({"id": c["id"], "text": c["text"]}) + "\n" for c in cases)
    out = subprocess.run(
        [leadbot, "diagnose", "--jsonl"], input=feed, capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    results = {r["id"]: r for r in map(json.loads, out.stdout.splitlines())}
    coached = [(c, results[c["id"]]) for c in cases if results[c["id"]].get("next_step")]
    ok = sum(r["next_step"]["id"] in c["accept"] for c, r in coached)
    wrong = sum(r["next_step"]["id"] in c["wrong"] for c, r in coached)
    bad_principle = sum(r["principle"]["id"] in c.get("wrong_principles", []) for c, r in coached)
    print(f"\nFit set through {leadbot} (its own diagnosis, first step only; {len(coached)} coached):")
    print(
        f"  first step one a coach accepts {pct(ok, len(coached))}; one a coach calls wrong {pct(wrong, len(coached))}; principle that does not fit {pct(bad_principle, len(coached))}"
    )
    print("  (a step id the fit set does not know, from another version's content, counts as neither)")


def step_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def public_sets(leadbot: str, show_unjudged: bool) -> None:
    files = sorted((ROOT.parent / "shared" / "eval").glob("public_dev*.jsonl"))
    if not files:
        print("\nPublic sets: ../shared/eval/public_dev*.jsonl not found; skipped.")
        return
    audit = {(e["id"], e["step"], e["step_text"]): e for e in map(json.loads, AUDIT.read_text().splitlines())}
    rows = [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]
    texts = {r["id"]: r["text"] for r in rows}
    feed = "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows)
    out = subprocess.run(
        [leadbot, "diagnose", "--jsonl"], input=feed, capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    results = [json.loads(line) for line in out.stdout.splitlines()]
    coached = [r for r in results if r.get("first_move") in ("lead", "manage") and r.get("next_step")]
    print(f"\nPublic sets ({', '.join(f.name for f in files)}; {len(rows)} messages), scored with {leadbot}:")
    for name, subset in (
        ("every coached message", coached),
        (f"committed in a chat (confidence >= {ASK_BELOW})", [r for r in coached if r["confidence"] >= ASK_BELOW]),
    ):
        judged = presupposing = 0
        unjudged = []
        for r in subset:
            verdict = audit.get((r["id"], r["next_step"]["id"], step_hash(r["next_step"]["text"])))
            if verdict is None:
                unjudged.append(r)
                continue
            judged += 1
            presupposing += verdict["presupposes"]
        print(
            f"  {name}: {len(subset)}; next step presupposes something the message does not say: {pct(presupposing, judged)}"
            + (f"; {len(unjudged)} not yet judged" if unjudged else "")
        )
    steps = Counter(r["next_step"]["id"] for r in coached)
    principles = Counter(r["principle"]["id"] for r in coached)
    print(
        f"  distinct steps {len(steps)}, most used {steps.most_common(1)[0]}; distinct principles {len(principles)}, most used {principles.most_common(1)[0]}"
    )
    missing = [r for r in coached if (r["id"], r["next_step"]["id"], step_hash(r["next_step"]["text"])) not in audit]
    for r in missing:
        line = json.dumps(
            {
                "id": r["id"],
                "step": r["next_step"]["id"],
                "step_text": step_hash(r["next_step"]["text"]),
                "presupposes": None,
                "what": None,
            }
        )
        print(
            f"  to judge: {line}"
            + (f"\n      message: {texts[r['id']]}\n      step: {r['next_step']['text']}" if show_unjudged else "")
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--leadbot",
        default=str(Path(sys.executable).parent / "leadbot"),
        help="the leadbot to score on the public sets",
    )
    ap.add_argument(
        "--show-unjudged", action="store_true", help="print the text of messages whose step nobody has judged yet"
    )
    ap.add_argument("--public-only", action="store_true")
    args = ap.parse_args()
    if not args.public_only:
        fit_set()
    fit_set_via_cli(args.leadbot)
    public_sets(args.leadbot, args.show_unjudged)


if __name__ == "__main__":
    main()
