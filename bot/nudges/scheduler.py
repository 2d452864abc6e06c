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

from bot.metrics import Metrics
from bot.nudges.messengers import build_messengers
from bot.nudges.service import NudgeService
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

EVERY_SECONDS = 60
PURGE_EVERY_RUNS = 60
DRAIN_SECONDS = 5  # inside serve's 8-second shutdown
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


def nudge_scheduler(services, metrics: Metrics | None = None):
    """An aiohttp cleanup_ctx: starts the loop with the app, stops claiming and drains on shutdown."""

    async def ctx(app):
        service = NudgeService.from_services(services, metrics, build_messengers(services.settings, services))
        stop, ran = asyncio.Event(), asyncio.Event()
        app[NUDGE_SCHEDULER] = {"service": service, "stop": stop, "ran": ran}
        task = asyncio.create_task(run_forever(service, stop, ran=ran))
        yield
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=DRAIN_SECONDS)
        except asyncio.TimeoutError:
            log.warning("nudge scheduler did not finish in time; unfinished sends will be settled as unknown")

    return ctx
