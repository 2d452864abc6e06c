"""One shutdown budget shared by everything that drains on SIGTERM.

A container platform gives a process about 10 seconds after SIGTERM before it
sends SIGKILL. Slack's turns, Teams' turns and the nudge scheduler each want
time to finish what they started; waited for one after another (5 s, then 8 s,
then 5 s) they would overrun that by far. Instead the first shutdown hook
starts one clock, and every drain waits only for what is left of it.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

DRAIN_SECONDS = 6.0  # for every platform's in-flight turns together; the rest of the grace period closes things down


class ShutdownBudget:
    def __init__(self, seconds: float = DRAIN_SECONDS):
        self.seconds = seconds
        self.deadline: float | None = None

    def start(self) -> None:
        if self.deadline is None:
            self.deadline = asyncio.get_running_loop().time() + self.seconds

    def remaining(self, cap: float | None = None) -> float:
        """Seconds left to drain (the whole budget if shutdown has not started), at most `cap`."""
        left = self.seconds if self.deadline is None else max(0.0, self.deadline - asyncio.get_running_loop().time())
        return left if cap is None else min(cap, left)


SHUTDOWN = web.AppKey("shutdown_budget", ShutdownBudget)
