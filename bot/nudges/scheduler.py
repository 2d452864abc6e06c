"""The nudge scheduler inside `leadbot serve`: `send_due` every minute, the same code as `leadbot nudge send-due`.

Every replica runs it; the ledger makes that safe. The server starts it once
the platforms' messengers are there and, at shutdown, tells it to stop
claiming at once and then gives the sends already under way whatever is left
of the shutdown budget (`finish`); anything cut off is left 'sending' and
settled later as unknown, never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.delivery import Messenger
from bot.nudges.fanout import NudgeSender, RunReport
from dialogs.nudges.store import NudgeLedger
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

EVERY_SECONDS = 60
PURGE_EVERY_RUNS = 60


def _utcnow() -> datetime:
    return datetime.now(UTC)


class NudgeScheduler:
    def __init__(
        self,
        sender: NudgeSender,
        messengers: dict[str, Messenger],
        every: float = EVERY_SECONDS,
        clock: Callable[[], datetime] = _utcnow,
    ):
        self.sender = sender
        self.messengers = messengers  # the composition root's dict: each platform's messenger is added as it starts
        self.every = every
        self.clock = clock
        self.stop = asyncio.Event()  # set: claim nothing more
        self.ran = asyncio.Event()  # set after each run, for tests and diagnostics
        self._task: asyncio.Task | None = None

    @property
    def store(self) -> NudgeLedger:
        return self.sender.store

    async def send_due(self, now: datetime) -> RunReport:
        """One run now: what `leadbot nudge send-due` does, through this process's messengers."""
        return await self.sender.send_due(now, self.messengers, self.stop)

    async def run_forever(self) -> None:
        runs = 0
        while not self.stop.is_set():
            try:
                if runs % PURGE_EVERY_RUNS == 0:
                    await self.store.purge(self.clock())
                await self.send_due(self.clock())
            except StoreUnavailable:
                log.warning("nudge scheduler: database unavailable; trying again next minute")
            except Exception:
                log.exception("nudge scheduler run failed")
            runs += 1
            self.ran.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=self.every)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run_forever())

    def stop_claiming(self) -> None:
        self.stop.set()

    async def finish(self, timeout: float) -> None:
        """Stop, and give sends under way up to `timeout` seconds to record their outcome."""
        self.stop.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, timeout=max(0.0, timeout))
        except TimeoutError:
            log.warning("nudge scheduler did not finish in time; unfinished sends will be settled as unknown")
