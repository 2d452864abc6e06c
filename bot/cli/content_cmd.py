"""`leadbot content check [DIR]`: validate content the way start-up does."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.cli.common import report_content_errors, settings_or_exit
from dialogs.content_loader import ContentInvalid, default_content_dir, load_content
from dialogs.content_schema import PLACEHOLDER


def register(sub) -> None:
    p = sub.add_parser("content", help="work with the content files")
    csub = p.add_subparsers(dest="content_command", metavar="SUBCOMMAND")
    check = csub.add_parser("check", help="validate content; list every error with file, entry and field")
    check.add_argument(
        "directory",
        nargs="?",
        type=Path,
        help="content directory (default: LEADBOT_CONTENT_DIR, else the packaged content)",
    )
    check.set_defaults(run=run_check)


def run_check(args) -> int:
    # The same directory `serve` and `chat` would load: the argument, else LEADBOT_CONTENT_DIR, else the packaged content.
    directory = args.directory or settings_or_exit().content_dir or default_content_dir()
    print(f"checking {directory}", file=sys.stderr)
    try:
        content = load_content(directory)
    except ContentInvalid as exc:
        report_content_errors(exc)
        return 1
    unfilled = sorted({m.group(1) for r in content.routes.values() for m in PLACEHOLDER.finditer(r.contact)})
    print(
        f"content OK: {len(content.principles)} principles, {len(content.next_steps)} next steps, "
        f"{len(content.nudges)} nudges, {len(content.topics)} escalation topics, {len(content.training)} training examples; "
        f"languages: {', '.join(content.translations or [content.language])}"
    )
    if unfilled:
        print(
            f"note: escalation contacts still to fill in for your organisation: {', '.join(unfilled)}", file=sys.stderr
        )
    return 0
