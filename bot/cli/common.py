"""What several commands share: settings, logging, and readable errors instead of tracebacks."""

from __future__ import annotations

import logging
import sys
import traceback

from pydantic import ValidationError

from bot import logs
from bot.settings import Settings
from bot.setup_errors import SetupError
from dialogs.content_loader import ContentInvalid


def settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = err["loc"][0] if err["loc"] else "?"
            print(f"leadbot: setting {str(name).upper()}: {err['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        raise SystemExit(2) from None


def setup_logging(settings: Settings) -> None:
    logs.setup(settings.log_level)


def report_content_errors(exc: ContentInvalid) -> None:
    print(f"leadbot: content has {len(exc.errors)} error(s):", file=sys.stderr)
    for err in exc.errors:
        print(f"  {err}", file=sys.stderr)


def announce_fit(estimate: float) -> None:
    """The progress line before a model fit: what is happening, roughly how long, and that it happens once."""
    seconds = max(5, 5 * round(estimate / 5))
    print(
        f"leadbot: fitting the diagnosis model to this content, about {seconds} seconds; "
        "this happens once after the content changes (leadbot model build ships one ready-made)",
        file=sys.stderr,
        flush=True,
    )


def debugging() -> bool:
    return logging.getLogger().isEnabledFor(logging.DEBUG)


def _frames(exc: BaseException) -> str:
    # Where, never the exception's message: it can quote what someone typed.
    return "".join(traceback.format_tb(exc.__traceback__)) + type(exc).__name__


def report_setup_error(exc: SetupError) -> None:
    for line in exc.lines():
        print(f"leadbot: {line}" if not line.startswith("fix:") else f"  {line}", file=sys.stderr)
    if debugging():
        cause = exc.__cause__ or exc
        print(_frames(cause), file=sys.stderr)


def report_unexpected(exc: BaseException) -> None:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb is not None else ""
    print(f"leadbot: stopped by an unexpected error ({type(exc).__name__}{where})", file=sys.stderr)
    if debugging():
        print(_frames(exc), file=sys.stderr)
    else:
        print(
            "  this is a fault in leadbot, not in your settings: please report it; LEADBOT_LOG_LEVEL=DEBUG shows the whole traceback",
            file=sys.stderr,
        )
