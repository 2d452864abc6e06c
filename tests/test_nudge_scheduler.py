"""`leadbot serve` runs the same send_due every minute, and stops claiming when it shuts down."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from bot.nudges.scheduler import NUDGE_SCHEDULER, run_forever
from bot.nudges.service import NudgeService
from bot.nudges.store import NudgeStore
from bot.server.app import create_app
from bot.services import build_services
from bot.settings import Settings
from tests.fakes.http_messenger import HttpMessenger
from tests.fakes.nudge_api import FakeNudgeApi
from tests.nudge_support import channels, ledger, subscribe, utc

MONDAY = utc(2025, 1, 13, 9, 0)


async def test_the_scheduler_loop_sends_what_is_due_and_stops_when_told(sql_store, content):
    api = FakeNudgeApi()
    await api.start()
    messengers = {p: HttpMessenger(p, api.url) for p in ("slack", "teams")}
    try:
        await subscribe(sql_store.engine, channels(6), on_at=MONDAY - timedelta(days=1))
        service = NudgeService(content, NudgeStore(sql_store.engine), messengers=messengers)
        stop = asyncio.Event()
        task = asyncio.create_task(run_forever(service, stop, every=3600, clock=lambda: MONDAY + timedelta(minutes=2)))
        await api.wait_for_posts(6, timeout=30)
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        assert len(api.posts) == 6 and not api.duplicates()
    finally:
        for m in messengers.values():
            await m.close()
        await api.stop()


async def test_serve_starts_the_scheduler_and_shuts_down_promptly_without_messengers(tmp_path):
    services = await build_services(Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"))
    try:
        await subscribe(services.db, channels(3), on_at=utc(2020, 1, 1))
        app = create_app(services, background=True)
        runner = web.AppRunner(app)
        await runner.setup()  # runs the cleanup contexts' start: the scheduler's first run happens now
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        await asyncio.wait_for(app[NUDGE_SCHEDULER]["ran"].wait(), timeout=30)
        await asyncio.wait_for(runner.cleanup(), timeout=10)
        assert app[NUDGE_SCHEDULER]["stop"].is_set()
        # It ran: last week, missed while the service was "down", is recorded. Phase 1 has no
        # platform messengers, so nothing may be claimed, whatever was due.
        rows = await ledger(services.db)
        assert len(rows) >= 3 and all(r.status == "skipped" for r in rows.values())
    finally:
        await services.close()
