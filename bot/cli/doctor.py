"""`leadbot doctor`: check settings, database, content, the platforms and the nudge scheduler; one line each."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.cli.common import settings_or_exit

MARK = {"ok": "ok     ", "note": "note   ", "problem": "PROBLEM"}


def register(sub) -> None:
    p = sub.add_parser(
        "doctor", help="check settings, database, content, Slack, Teams and the nudge scheduler; say what to fix"
    )
    p.add_argument(
        "--teams-package",
        type=Path,
        default=None,
        metavar="ZIP",
        help="the Teams app package to compare with the settings (default: ./leadbot-teams.zip if it exists)",
    )
    p.add_argument("--socket-mode", action="store_true", help="check Slack as leadbot serve --socket-mode would use it")
    p.set_defaults(run=run)


def run(args) -> int:
    from bot.doctor import run_checks
    from bot.version import describe

    settings = settings_or_exit()  # a setting that cannot be read is named there, and nothing else can be checked
    package = args.teams_package
    if package is None and Path("leadbot-teams.zip").is_file():
        package = Path("leadbot-teams.zip")
    print(describe())
    findings = asyncio.run(run_checks(settings, package, socket_mode=args.socket_mode))
    for finding in findings:
        print(f"{MARK[finding.status]}  {finding.area:14} {finding.text}")
        if finding.fix:
            print(f"{'':9}  {'':14} fix: {finding.fix}")
    problems = sum(f.status == "problem" for f in findings)
    print(
        f"\n{problems} problem(s) found." if problems else "\nNo problems found.",
        file=sys.stderr if problems else sys.stdout,
    )
    return 1 if problems else 0
