"""Logging that can never carry what a manager typed.

Lines are JSON with a request id. leadbot's own code never logs message text;
as a guard against libraries that do (Bolt logs whole unhandled payloads at
WARNING, botbuilder and aiohttp echo requests at DEBUG), records from any
logger outside leadbot keep their level, logger and exception type but not
their message. Our own request log line (bot.server) says what happened.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import sys
import time

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

OURS = ("bot", "dialogs", "leadbot")
STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "taskName"}
# Extras with these names are dropped even from our own records, in case someone slips.
FORBIDDEN_KEYS = {"text", "body", "message_text", "payload", "raw", "content"}
WITHHELD = "(library message withheld: it may contain message text)"


@functools.cache
def library_notices() -> frozenset[str]:
    """Fixed sentences a library logs about its own set-up. They take no arguments, so they
    cannot carry message text, and an operator needs to read them (a token set twice, say)."""
    from slack_bolt.logger import messages as bolt

    return frozenset(
        {
            bolt.warning_token_skipped(),
            bolt.warning_installation_store_conflicts(),
            bolt.warning_bot_only_conflicts(),
        }
    )


def _shown(record: logging.LogRecord, ours: bool) -> str:
    if ours:
        return record.getMessage()
    if (
        record.name.startswith("slack_bolt")
        and isinstance(record.msg, str)
        and not record.args
        and record.msg in library_notices()
    ):
        return record.msg
    return WITHHELD


def _ours(name: str) -> bool:
    return name == "root" or any(name == p or name.startswith(p + ".") for p in OURS)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ours = _ours(record.name)
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _shown(record, ours),
            "request_id": request_id.get(),
        }
        if ours:
            for k, v in vars(record).items():
                if k not in STANDARD and k not in FORBIDDEN_KEYS and not k.startswith("_"):
                    line[k] = v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
        if record.exc_info and record.exc_info[0] is not None:
            # The type and where, never the exception's message: it can quote input.
            line["error"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            while tb and tb.tb_next:
                tb = tb.tb_next
            if tb:
                line["at"] = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        return json.dumps(line, ensure_ascii=False)


def setup(level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries are a step quieter than us (SQLAlchemy logs every statement at INFO);
    # what they do log is withheld anyway, so only its level and logger show.
    library_level = logging.INFO if logging.getLevelName(level) <= logging.DEBUG else logging.WARNING
    for name in (
        "slack_bolt",
        "slack_sdk",
        "botbuilder",
        "botframework",
        "msrest",
        "msal",
        "aiohttp",
        "asyncio",
        "sqlalchemy",
        "alembic",
        "urllib3",
        "asyncpg",
        "aiosqlite",
    ):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), library_level))
