"""What several commands share: settings, logging, and a readable content error."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from bot import logs
from bot.settings import Settings
from dialogs.content_loader import ContentInvalid


def settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = err["loc"][0] if err["loc"] else "?"
            print(f"leadbot: setting {str(name).upper()}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2)


def setup_logging(settings: Settings) -> None:
    logs.setup(settings.log_level)


def report_content_errors(exc: ContentInvalid) -> None:
    print(f"leadbot: content has {len(exc.errors)} error(s):", file=sys.stderr)
    for err in exc.errors:
        print(f"  {err}", file=sys.stderr)
