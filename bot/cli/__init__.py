"""`leadbot`: the command line. One module per command; each registers its own arguments."""

from __future__ import annotations

import argparse
import sys

from bot.cli import chat, content_cmd, diagnose, nudge, serve, stats, teams_cmd

COMMANDS = [chat, diagnose, content_cmd, serve, stats, nudge, teams_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadbot", description="A coaching bot for line managers: leadership or management first?")
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


if __name__ == "__main__":
    sys.exit(main())
