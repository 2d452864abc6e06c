"""Mistakes in how leadbot is set up, said in plain words: which setting, what is wrong, the fix.

Any command that meets one prints its lines and exits with code 2; nobody sees a
traceback for a setting they can fix (with LEADBOT_LOG_LEVEL=DEBUG the frames
are printed too). Importable without loading any platform SDK or database driver.
"""

from __future__ import annotations


class SetupError(Exception):
    """leadbot cannot start as set up. `str()` is the whole explanation: one or two plain lines."""

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(problem if not fix else f"{problem}\n{fix}")

    def lines(self) -> list[str]:
        return [self.problem] + ([self.fix] if self.fix else [])
