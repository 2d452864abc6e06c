"""`leadbot`: the command line. One module per command; each registers its own arguments."""

from __future__ import annotations

import argparse
import sys

from bot.cli import (
    audit_cmd,
    chat,
    content_cmd,
    diagnose,
    doctor,
    model_cmd,
    nudge,
    privacy_cmd,
    serve,
    stats,
    teams_cmd,
)
from bot.cli.common import report_content_errors, report_setup_error, report_unexpected
from bot.setup_errors import SetupError
from bot.version import describe
from dialogs.content_loader import ContentInvalid

COMMANDS = [chat, diagnose, content_cmd, serve, stats, nudge, teams_cmd, doctor, model_cmd, audit_cmd, privacy_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadbot", description="A coaching bot for line managers: leadership or management first?"
    )
    parser.add_argument("--version", action="version", version=describe(), help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except SetupError as exc:
        report_setup_error(exc)
        return 2
    except ContentInvalid as exc:
        report_content_errors(exc)
        return 1
    except Exception as exc:
        report_unexpected(exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
