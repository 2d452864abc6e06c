"""Score the diagnosis against a labelled JSONL file: the figures issue 3 sets targets for.

Used by `leadbot diagnose --eval FILE` and by `benchmarks/`. The measures follow
`shared/eval/README.md`: a case read as escalate or none counts as wrong for
problem accuracy; both is judged by recall and precision, not accuracy.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

MOVES = ["lead", "manage", "escalate", "none"]
PROBLEMS = ["uncertainty", "confidence", "inconsistency", "control"]

# The goals of issues 11 and 12, measured on independently written sets.
TARGETS = {
    "first_move accuracy": (0.95, ">="),
    "problem accuracy": (0.92, ">="),
    "escalate recall": (1.0, ">="),
    "escalate precision": (0.97, ">="),
    "escalations shown an acceptable topic": (0.95, ">="),
    "none accuracy": (0.95, ">="),
    "both recall": (0.90, ">="),
    "both precision": (0.90, ">="),
    "pattern accuracy": (0.80, ">="),
    "accuracy when committing": (0.97, ">="),
    "asked rate": (0.15, "<="),
}


@dataclass
class Case:
    id: str
    text: str
    gold: dict
    pred: dict
    asked: bool
    seconds: float
    way_back: bool = False  # an escalation carrying "It isn't a sensitive matter"


@dataclass
class Scores:
    n: int
    measures: dict[str, float | None] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    misread: list[Case] = field(default_factory=list)
    patterns: dict[str, tuple[int, int]] = field(default_factory=dict)  # gold pattern -> (right, of)
    topics: dict[str, dict[str, int]] = field(default_factory=dict)  # gold topic -> shown topic -> count
    p50_ms: float = 0.0
    p99_ms: float = 0.0


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def asks(pred: dict, ask_below: float) -> bool:
    """Would the chat ask the quick test rather than commit? (lead/manage below the bar)"""
    return pred["first_move"] in ("lead", "manage") and pred["confidence"] < ask_below


def score(cases: list[Case]) -> Scores:
    s = Scores(n=len(cases))
    m = s.measures
    m["first_move accuracy"] = _ratio(sum(c.pred["first_move"] == c.gold["first_move"] for c in cases), len(cases))
    golds = [c.gold["first_move"] for c in cases]
    f1s = []
    for move in MOVES:
        tp = sum(c.pred["first_move"] == move and c.gold["first_move"] == move for c in cases)
        fp = sum(c.pred["first_move"] == move and c.gold["first_move"] != move for c in cases)
        fn = sum(c.pred["first_move"] != move and c.gold["first_move"] == move for c in cases)
        if move in golds:
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
        if move == "escalate":
            m["escalate recall"] = _ratio(tp, tp + fn)
            m["escalate precision"] = _ratio(tp, tp + fp)
        if move == "none":
            m["none accuracy"] = _ratio(tp, tp + fn)
    m["first_move macro-F1"] = sum(f1s) / len(f1s) if f1s else None
    with_problem = [c for c in cases if c.gold.get("problem")]
    m["problem accuracy"] = _ratio(
        sum(c.pred.get("problem") == c.gold["problem"] for c in with_problem), len(with_problem)
    )
    coaching = [c for c in cases if c.gold["first_move"] in ("lead", "manage")]
    tp = sum(bool(c.pred.get("both")) and bool(c.gold.get("both")) for c in coaching)
    m["both recall"] = _ratio(tp, sum(bool(c.gold.get("both")) for c in coaching))
    m["both precision"] = _ratio(tp, sum(bool(c.pred.get("both")) for c in coaching))
    with_pattern = [c for c in cases if c.gold.get("pattern")]
    m["pattern accuracy"] = _ratio(
        sum(c.pred.get("pattern") == c.gold["pattern"] for c in with_pattern), len(with_pattern)
    )
    with_topics = [c for c in cases if c.gold["first_move"] == "escalate" and c.gold.get("topics")]
    m["escalations shown an acceptable topic"] = _ratio(
        sum(c.pred["first_move"] == "escalate" and c.pred.get("topic") in c.gold["topics"] for c in with_topics),
        len(with_topics),
    )
    committed = [c for c in cases if not c.asked]
    m["accuracy when committing"] = _ratio(
        sum(
            c.pred["first_move"] == c.gold["first_move"] and c.pred.get("problem") == c.gold.get("problem")
            for c in committed
        ),
        len(committed),
    )
    m["asked rate"] = _ratio(sum(c.asked for c in cases), len(cases))
    # How far the way back from a false alarm reaches: high for false alarms, low for real matters.
    escalated = [c for c in cases if c.pred["first_move"] == "escalate"]
    false_alarms = [c for c in escalated if c.gold["first_move"] != "escalate"]
    real = [c for c in escalated if c.gold["first_move"] == "escalate"]
    m["false alarms offered a way back"] = _ratio(sum(c.way_back for c in false_alarms), len(false_alarms))
    m["real escalations offered one"] = _ratio(sum(c.way_back for c in real), len(real))
    for c in with_pattern:
        right, of = s.patterns.get(c.gold["pattern"], (0, 0))
        s.patterns[c.gold["pattern"]] = (right + (c.pred.get("pattern") == c.gold["pattern"]), of + 1)
    for c in with_topics:
        gold = c.pred.get("topic") if c.pred.get("topic") in c.gold["topics"] else c.gold["topics"][0]
        shown = c.pred.get("topic") if c.pred["first_move"] == "escalate" else "(not escalated)"
        row = s.topics.setdefault(gold, {})
        row[shown or "(none)"] = row.get(shown or "(none)", 0) + 1
    s.confusion = {
        g: {p: sum(c.gold["first_move"] == g and c.pred["first_move"] == p for c in cases) for p in MOVES}
        for g in MOVES
    }
    s.misread = [
        c
        for c in cases
        if c.pred["first_move"] != c.gold["first_move"]
        or (c.gold.get("problem") and c.pred.get("problem") != c.gold["problem"])
        or (c.gold.get("topics") and c.pred.get("topic") not in c.gold["topics"])
    ]
    times = sorted(c.seconds for c in cases)
    if times:
        s.p50_ms = times[len(times) // 2] * 1000
        s.p99_ms = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
    return s


def run_cases(content, diagnoser, rows: list[dict]) -> list[Case]:
    from dialogs.diagnosis.report import record
    from dialogs.flows.escalation import offers_way_back

    cases = []
    for row in rows:
        t0 = time.perf_counter()
        d = diagnoser.diagnose(row["text"])
        elapsed = time.perf_counter() - t0
        pred = record(content, row["id"], d)
        way_back = offers_way_back(content, d, diagnoser.ask_below)
        cases.append(Case(row["id"], row["text"], row, pred, asks(pred, diagnoser.ask_below), elapsed, way_back))
    return cases


def read_labelled(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row, dict) or "text" not in row or "first_move" not in row:
            raise ValueError(f"{path}:{number}: each line needs at least text and first_move")
        row.setdefault("id", f"line{number}")
        rows.append(row)
    return rows


def format_report(s: Scores, misread_limit: int = 30) -> str:
    out = [f"{s.n} labelled messages", "", f"{'measure':32} {'value':>8}   target"]
    for name, value in s.measures.items():
        target = TARGETS.get(name)
        shown = "n/a" if value is None else f"{value * 100:7.1f}%"
        if target:
            goal, op = target
            if value is None:  # nothing in this file to measure it on (no topic labels, say): no verdict
                out.append(f"{name:32} {shown:>8}   {op} {goal * 100:.0f}% not measured: no labelled case for it here")
                continue
            ok = value >= goal if op == ">=" else value <= goal
            out.append(f"{name:32} {shown:>8}   {op} {goal * 100:.0f}% {'ok' if ok else 'MISSED'}")
        else:
            out.append(f"{name:32} {shown:>8}")
    out.append(
        f"{'per-message time p50 / p99':32} {s.p50_ms:6.2f} / {s.p99_ms:.2f} ms   p99 < 5 ms {'ok' if s.p99_ms < 5 else 'MISSED'}"
    )
    out += ["", "first_move confusion (rows: label, columns: leadbot)", f"{'':10}" + "".join(f"{m:>10}" for m in MOVES)]
    for g in MOVES:
        out.append(f"{g:10}" + "".join(f"{s.confusion[g][p]:>10}" for p in MOVES))
    if s.patterns:
        out += ["", f"{'pattern':28} {'right':>6} {'of':>4}"]
        for name, (right, of) in sorted(s.patterns.items()):
            out.append(f"{name:28} {right:>6} {of:>4}")
    if s.topics:
        out += ["", "escalation topics (label: what leadbot showed)"]
        for gold, shown in sorted(s.topics.items()):
            cells = ", ".join(f"{t} {n}" for t, n in sorted(shown.items(), key=lambda kv: -kv[1]))
            out.append(f"  {gold:22} {cells}")
    if s.misread:
        out += ["", f"misread ({len(s.misread)}; showing up to {misread_limit}):"]
        for c in s.misread[:misread_limit]:
            gold = f"{c.gold['first_move']}/{c.gold.get('problem') or '/'.join(c.gold.get('topics') or []) or '-'}"
            pred = f"{c.pred['first_move']}/{c.pred.get('problem') or c.pred.get('topic') or '-'} ({c.pred['confidence']:.2f})"
            text = c.text if len(c.text) <= 110 else c.text[:107] + "..."
            out.append(f"  {c.id}: label {gold}, read {pred}: {text}")
    return "\n".join(out)


def evaluate_file(content, diagnoser, path: Path, misread_limit: int = 30) -> int:
    try:
        rows = read_labelled(path)
    except (OSError, ValueError) as exc:
        print(f"leadbot diagnose --eval: {exc}", file=sys.stderr)
        return 2
    print(format_report(score(run_cases(content, diagnoser, rows)), misread_limit))
    return 0
