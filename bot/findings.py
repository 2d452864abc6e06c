"""What a `leadbot doctor` check reports: ok, a note (worth knowing, nothing broken), or a problem with its fix.

Its own module so that each platform's checks (bot/slack/health.py, bot/teams/health.py) can speak it
without importing the doctor, which imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.setup_errors import SetupError


@dataclass
class Finding:
    area: str
    status: Literal["ok", "note", "problem"]
    text: str
    fix: str | None = None


def ok(area: str, text: str) -> Finding:
    return Finding(area, "ok", text)


def note(area: str, text: str, fix: str | None = None) -> Finding:
    return Finding(area, "note", text, fix)


def problem(area: str, text: str, fix: str | None = None) -> Finding:
    return Finding(area, "problem", text, fix)


def from_setup_error(area: str, exc: SetupError) -> Finding:
    return problem(area, exc.problem, exc.fix.removeprefix("fix: ") if exc.fix else None)
