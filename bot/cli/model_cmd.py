"""`leadbot model build`: fit the diagnosis model once and ship it with the package or image."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.cli.common import settings_or_exit


def register(sub) -> None:
    p = sub.add_parser("model", help="the fitted diagnosis model")
    msub = p.add_subparsers(dest="model_command", metavar="ACTION")
    build = msub.add_parser(
        "build",
        help="fit the model for the content (LEADBOT_CONTENT_DIR, else the packaged content) into the packaged model directory",
    )
    build.add_argument(
        "--out", type=Path, default=None, help="where to write it (default: bot/model/ in the installed package)"
    )
    build.add_argument(
        "--force", action="store_true", help="fit again even if a model for this content and code is already there"
    )
    build.set_defaults(run=run_build)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def run_build(args) -> int:
    from bot.fitted_model import PACKAGED_DIR, write_packaged_model
    from dialogs.content_loader import load_content

    settings = settings_or_exit()
    content = load_content(settings.content_dir)  # ContentInvalid is reported by the command line's main
    out = args.out or PACKAGED_DIR
    started = time.perf_counter()
    try:
        path, fitted = write_packaged_model(content, out, settings.ask_below, force=args.force)
    except PermissionError:
        print(f"leadbot: cannot write to {out}", file=sys.stderr)
        print(
            "  fix: run it as the user who installed leadbot (in a Dockerfile, before USER), or give --out a writable folder",
            file=sys.stderr,
        )
        return 1
    if fitted:
        print(
            f"fitted the diagnosis model on {len(content.training)} examples from {content.directory} in {time.perf_counter() - started:.1f} s: wrote {path}"
        )
    else:
        print(f"{path} already holds the model for this content and code; nothing to do (--force fits it again)")
    return 0
