"""Work a platform has acknowledged and still has to do: tracked, and drained at shutdown.

Both platforms answer the HTTP request first (Slack's 3 seconds, the Bot
Framework's 202) and run the turn after it. Each platform keeps one `InFlight`:

- Slack: Bolt starts the listener's task itself, so a listener middleware calls
  `begin()` before the ack is sent and the listener calls `end()` when done;
- Teams: the endpoint calls `spawn(work)` before answering 202.

Either way the work is counted before the acknowledgement leaves, so `drain()`
at shutdown (and `drained()` in tests) can never miss it.

Back-pressure belongs here too (issue 15): a bound on `count` per platform,
checked where work is accepted, with the caller giving the person an honest
answer when the bound is reached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger(__name__)


class InFlight:
    def __init__(self, platform: str):
        self.platform = platform
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task] = set()

    def begin(self) -> None:
        """Work was accepted: count it before the acknowledgement is sent."""
        self.count += 1
        self._idle.clear()

    def end(self) -> None:
        self.count = max(0, self.count - 1)
        if self.count == 0:
            self._idle.set()

    def spawn(self, work: Awaitable[object]) -> None:
        """Run accepted work in a task of its own, counted from now until it finishes."""
        self.begin()
        task = asyncio.ensure_future(self._run(work))
        self._tasks.add(task)  # a task nobody holds can be collected mid-way
        task.add_done_callback(self._tasks.discard)

    async def _run(self, work: Awaitable[object]) -> None:
        try:
            await work
        except Exception as exc:
            log.error("%s turn failed", self.platform, exc_info=(type(exc), exc, exc.__traceback__))
        finally:
            self.end()

    async def drained(self) -> None:
        """Wait until nothing is in flight (tests use it instead of sleeping)."""
        await self._idle.wait()

    async def drain(self, timeout: float) -> int:
        """At shutdown: give accepted work up to `timeout` seconds; return how much is still running (logged)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=max(0.0, timeout))
        except TimeoutError:
            log.warning(f"shutting down with {self.platform} turns still running", extra={"in_flight": self.count})
        return self.count
