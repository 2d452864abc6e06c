"""`leadbot diagnose`: one message, a JSONL stream, or an evaluation over a labelled file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.cli.common import announce_fit, report_content_errors, settings_or_exit
from dialogs.content_loader import ContentInvalid, load_content
from dialogs.diagnosis.report import record
from dialogs.situations import situations_in

MAX_LINE = 1_000_000


def register(sub) -> None:
    p = sub.add_parser("diagnose", help="diagnose a message (or --jsonl on stdin, or --eval a labelled file)")
    p.add_argument("text", nargs="*", help="the message, in plain words")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--jsonl", action="store_true", help='read {"id","text"} lines on stdin, write one result line each'
    )
    mode.add_argument(
        "--eval", type=Path, metavar="FILE", help="score against a labelled JSONL file and print the figures"
    )
    p.add_argument(
        "--misread", type=int, default=30, metavar="N", help="with --eval: list at most N misread messages (default 30)"
    )
    p.set_defaults(run=run)


def _load(settings):
    from bot.diagnoser import build_diagnoser

    try:
        content = load_content(settings.content_dir)
    except ContentInvalid as exc:
        report_content_errors(exc)
        raise SystemExit(1) from None
    return content, build_diagnoser(settings, content, on_fit=announce_fit)


def run(args) -> int:
    settings = settings_or_exit()
    if args.eval:
        from bot.evaluation import evaluate_file

        content, diagnoser = _load(settings)
        return evaluate_file(content, diagnoser, args.eval, misread_limit=args.misread)
    if args.jsonl:
        content, diagnoser = _load(settings)
        return run_jsonl(content, diagnoser, sys.stdin, sys.stdout)
    text = " ".join(args.text).strip()
    if not text:
        print(
            'leadbot diagnose: give a message, e.g. leadbot diagnose "half the team still do the old triage"',
            file=sys.stderr,
        )
        return 2
    content, diagnoser = _load(settings)
    d = diagnosis_of(content, diagnoser, text)
    print_human(content, record(content, "-", d), diagnoser, d)
    return 0


def diagnosis_of(content, diagnoser, text: str):
    """The diagnosis with the situations the message mentions, as a conversation reads it, so the same
    message gets the same principle and step here as in chat, Slack and Teams."""
    d = diagnoser.diagnose(text)
    d.situations = situations_in(content, text)
    return d


def _bad(item_id, message: str) -> dict:
    return {"id": item_id, "error": message}


def _one(content, diagnoser, number: int, raw: str) -> dict:
    """The output line for one input line: a diagnosis, or an error naming the line."""
    if len(raw) > MAX_LINE:
        return _bad(None, f"line {number}: longer than {MAX_LINE} characters")
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _bad(None, f"line {number}: not valid JSON ({exc.msg})")
    except RecursionError:
        return _bad(None, f"line {number}: JSON nested too deeply to read")
    except ValueError as exc:  # a number with thousands of digits, and the like
        return _bad(None, f"line {number}: not valid JSON ({type(exc).__name__})")
    if not isinstance(item, dict):
        return _bad(None, f"line {number}: expected an object with id and text")
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id:
        return _bad(
            item_id if isinstance(item_id, (int, float)) and not isinstance(item_id, bool) else None,
            f"line {number}: id must be a non-empty string",
        )
    if not isinstance(item.get("text"), str):
        return _bad(item_id, f"line {number}: text must be a string")
    try:
        return record(content, item_id, diagnosis_of(content, diagnoser, item["text"]))
    except Exception as exc:
        return _bad(item_id, f"line {number}: could not be diagnosed ({type(exc).__name__})")


def run_jsonl(content, diagnoser, stdin, stdout) -> int:
    failed = False
    for number, raw in enumerate(stdin, start=1):
        if not raw.strip():
            continue
        out = _one(content, diagnoser, number, raw)
        failed = failed or "error" in out
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return 2 if failed else 0


def print_human(content, rec: dict, diagnoser, d=None) -> None:
    names = content.messages.move_names
    move = rec["first_move"]
    if move == "escalate":
        print(
            "First move: escalate. This is a sensitive matter: leadbot does not coach it, it points to the right people."
        )
        topic = content.topics.get(rec["topic"] or "")
        if topic is None:
            return
        if d is None or d.topic_sure:
            print(f"Topic: {topic.name} ({topic.id})")
        else:
            likely = " or ".join(f"{content.topics[t].name} ({t})" for t in d.topic_alternatives)
            print(f"Topic: not sure; most likely {likely}. The reply gives the shared routes and theirs.")
        return
    if move == "none":
        print("First move: none. That does not read as a team problem.")
        return
    other = names["manage" if move == "lead" else "lead"]
    order = f"both: {names[move]} first, then {other}" if rec["both"] else f"{names[move]} first"
    print(f"What the team needs: {order}")
    print(f"Problem: {rec['problem']}" + (f"   Pattern: {rec['pattern']}" if rec["pattern"] else ""))
    print(
        f"Confidence: {rec['confidence']:.2f}"
        + ("  (below the bar: in a chat I would ask the quick test)" if rec["confidence"] < diagnoser.ask_below else "")
    )
    print(f"Why: {content.problems[rec['problem']].why}")
    if rec["principle"] and rec["principle"]["source"]:
        print(f"Principle: \u201c{rec['principle']['text']}\u201d \u2014 {rec['principle']['source']}")
    elif rec["principle"]:
        print(f"Principle: {rec['principle']['text']}")
    if rec["next_step"]:
        print(f"Next step: {rec['next_step']['text']}")
