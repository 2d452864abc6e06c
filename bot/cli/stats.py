"""`leadbot stats`: anonymous counts for content authors, as text with bars, JSON or CSV. No text, no users."""

from __future__ import annotations

import asyncio
import csv
import json
import sys

from bot.cli.common import settings_or_exit
from bot.textbars import bar

REPORTS = ("all", "feedback", "misreads")


def register(sub) -> None:
    p = sub.add_parser("stats", help="feedback per next step, and where the first guess was not quite right")
    p.add_argument("report", nargs="?", choices=REPORTS, default="all", help="which counts (default: all)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    out.add_argument(
        "--csv", action="store_true", help="one report as CSV, for a spreadsheet (choose feedback or misreads)"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    if args.csv and args.report == "all":
        print(
            "leadbot stats: --csv writes one table; choose one, e.g. leadbot stats feedback --csv > feedback.csv",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_stats(settings_or_exit(), args))


async def _read(settings) -> tuple[list, list]:
    from bot.storage.migrate import open_migrated
    from bot.storage.sql_store import SqlStore

    db = await open_migrated(settings.database_url)
    try:
        store = SqlStore(db)
        return await store.misread_report(), await store.feedback_report()
    finally:
        await db.dispose()


async def _stats(settings, args) -> int:
    from bot.storage.database_url import location
    from dialogs.store import StoreUnavailable

    try:
        misreads, feedback = await _read(settings)
    except StoreUnavailable:
        print(
            f"leadbot: cannot reach the database at DATABASE_URL ({location(settings.database_url)})", file=sys.stderr
        )
        print("  fix: check that it is running and reachable from here, then run leadbot stats again", file=sys.stderr)
        return 1
    misread_rows = [{"first_guess": first, "final": final, "count": count} for first, final, count in misreads]
    feedback_rows = [{"step_id": step, "useful": yes, "not_useful": no} for step, yes, no in feedback]
    if args.json:
        data = {"misreads": misread_rows, "feedback": feedback_rows}
        if args.report != "all":
            data = {args.report: data[args.report]}
        print(json.dumps(data, indent=2))
        return 0
    if args.csv:
        rows = feedback_rows if args.report == "feedback" else misread_rows
        writer = csv.DictWriter(
            sys.stdout,
            fieldnames=list(rows[0])
            if rows
            else (
                ["step_id", "useful", "not_useful"] if args.report == "feedback" else ["first_guess", "final", "count"]
            ),
        )
        writer.writeheader()
        writer.writerows(rows)
        return 0
    if args.report in ("all", "misreads"):
        _print_misreads(misreads)
    if args.report == "all":
        print()
    if args.report in ("all", "feedback"):
        _print_feedback(feedback)
    return 0


def _print_misreads(misreads) -> None:
    print("Where the first guess was not quite right (after 'not quite', the quick test landed elsewhere):")
    if not misreads:
        print("  nothing counted yet")
        return
    most = max(count for _, _, count in misreads)
    for first, final, count in misreads:
        print(f"  {count:5} {bar(count, most)}  first guess {first:28} quick test said {final}")


def _print_feedback(feedback) -> None:
    print("Was this useful? per next step (the bar is the share of yes):")
    if not feedback:
        print("  nothing counted yet")
        return
    for step_id, useful, not_useful in feedback:
        total = useful + not_useful
        share = f"{round(100 * useful / total):3}% yes" if total else ""
        print(f"  {step_id:40} yes {useful:4}  no {not_useful:4}  {bar(useful, total)} {share}")
