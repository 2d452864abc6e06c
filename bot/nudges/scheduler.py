"""The nudge scheduler inside `leadbot serve`: `send_due` every minute, the same code as `leadbot nudge send-due`.

Every replica runs it; the ledger makes that safe. On shutdown it stops
claiming at once and gives sends already under way a few seconds to record
their outcome; anything cut off is left 'sending' and settled later as unknown,
never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timezone

from aiohttp import web

from bot.nudges.service import NudgeService
from bot.server.shutdown import budget
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

EVERY_SECONDS = 60
PURGE_EVERY_RUNS = 60
DRAIN_SECONDS = 5  # at most; told to stop when shutdown begins, it gets what is left of the shared budget
NUDGE_SCHEDULER = web.AppKey("nudge_scheduler", dict)  # {"service", "stop", "ran"}: for tests and diagnostics


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def run_forever(service: NudgeService, stop: asyncio.Event, every: float = EVERY_SECONDS, clock=_utcnow, ran: asyncio.Event | None = None) -> None:
    runs = 0
    while not stop.is_set():
        try:
            if runs % PURGE_EVERY_RUNS == 0:
                await service.store.purge(clock())
            await service.send_due(clock(), stop=stop)
        except StoreUnavailable:
            log.warning("nudge scheduler: database unavailable; trying again next minute")
        except Exception:
            log.exception("nudge scheduler run failed")
        runs += 1
        if ran is not None:
            ran.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def install_scheduler(app: web.Application, service: NudgeService) -> None:
    """Run the loop while the app serves: it starts after the platforms have started (so their
    messengers are there). Shutdown's first hook (bot.server.app) stops it claiming; once the
    platforms have drained, sends under way get what is left of the shared budget, before the
    platforms' HTTP sessions close."""
    stop, ran = asyncio.Event(), asyncio.Event()
    app[NUDGE_SCHEDULER] = {"service": service, "stop": stop, "ran": ran}
    tasks: list[asyncio.Task] = []

    async def start(_app: web.Application) -> None:
        tasks.append(asyncio.create_task(run_forever(service, stop, ran=ran)))

    async def finish(app: web.Application) -> None:
        stop.set()  # already set when shutdown began (bot.server.app), unless the app was only cleaned up
        if not tasks:
            return
        try:
            await asyncio.wait_for(tasks[0], timeout=budget(app).remaining(DRAIN_SECONDS))
        except asyncio.TimeoutError:
            log.warning("nudge scheduler did not finish in time; unfinished sends will be settled as unknown")

    app.on_startup.append(start)
    app.on_cleanup.insert(0, finish)  # ahead of the cleanup contexts, which close the Slack session
