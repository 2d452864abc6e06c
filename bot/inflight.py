"""Work a platform has acknowledged and still has to do: tracked, and drained at shutdown.

Both platforms answer the HTTP request first (Slack's 3 seconds, the Bot
Framework's 202) and run the turn after it. Each platform keeps one `InFlight`:

- Slack: Bolt starts the listener's task itself, so a listener middleware calls
  `begin()` before the ack is sent and the listener calls `end()` when done;
- Teams: the endpoint calls `spawn(work)` before answering 202.

Either way the work is counted before the acknowledgement leaves, so `drain()`
at shutdown (and `drained()` in tests) can never miss it.

Back-pressure: at most `limit` turns at once per platform in this process
(LEADBOT_MAX_TURNS_IN_FLIGHT). `admit()` is asked where work is accepted,
before the acknowledgement; when it says no (the bound is reached, or the
process is shutting down) the platform sends the person an immediate "lots of
people are asking at once, try again in a minute" instead of queueing the turn
behind the database pool. That answer is work too: counted in `count` (so it
is drained) but not in `turns` (so it never holds a turn's place).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger(__name__)


class InFlight:
    def __init__(self, platform: str, limit: int | None = None):
        self.platform = platform
        self.limit = limit  # turns at once; None: no bound
        self.count = 0  # everything accepted and not finished: turns and "busy" answers
        self.turns = 0  # admitted turns only
        self.refused = 0  # arrivals answered "busy" instead (since start)
        self.closing = False  # shutting down: admit nothing new
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task] = set()

    def admit(self) -> bool:
        """Take a turn if there is room: counted (as begin()) and True; else False, and the caller says "busy"."""
        if self.closing or (self.limit is not None and self.turns >= self.limit):
            self.refused += 1
            return False
        self.turns += 1
        self.begin()
        return True

    def begin(self) -> None:
        """Work was accepted: count it before the acknowledgement is sent."""
        self.count += 1
        self._idle.clear()

    def end(self, turn: bool = False) -> None:
        """Work finished; `turn` if it was admitted with admit()."""
        if turn:
            self.turns = max(0, self.turns - 1)
        self.count = max(0, self.count - 1)
        if self.count == 0:
            self._idle.set()

    def spawn(self, work: Awaitable[object], turn: bool = False) -> None:
        """Run accepted work in a task of its own, counted from now (admit() or begin() already called if
        `turn`, else counted here) until it finishes."""
        if not turn:
            self.begin()
        task = asyncio.ensure_future(self._run(work, turn))
        self._tasks.add(task)  # a task nobody holds can be collected mid-way
        task.add_done_callback(self._tasks.discard)

    async def _run(self, work: Awaitable[object], turn: bool) -> None:
        try:
            await work
        except Exception as exc:
            log.error("%s turn failed", self.platform, exc_info=(type(exc), exc, exc.__traceback__))
        finally:
            self.end(turn)

    async def drained(self) -> None:
        """Wait until nothing is in flight (tests use it instead of sleeping)."""
        await self._idle.wait()

    async def drain(self, timeout: float) -> int:
        """At shutdown: admit nothing new; give accepted work up to `timeout` seconds; return how much is still running (logged)."""
        self.closing = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=max(0.0, timeout))
        except TimeoutError:
            log.warning(f"shutting down with {self.platform} turns still running", extra={"in_flight": self.count})
        return self.count
