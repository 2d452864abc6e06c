"""`leadbot serve` runs the same send_due every minute, and stops claiming when it shuts down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

from aiohttp import web
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from bot.nudges.fanout import NudgeSender
from bot.nudges.scheduler import NudgeScheduler
from bot.server.app import NUDGE_SCHEDULER, create_app
from bot.settings import Settings
from bot.storage.nudge_store import SqlNudgeStore
from bot.teams.inbound import Place
from bot.teams.references import ReferenceStore
from dialogs.nudges.schedule import Schedule, slot_at
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.http_messenger import HttpMessenger
from tests.fakes.nudge_api import FakeNudgeApi
from tests.fakes.parts import services_for
from tests.fakes.slack_api import FakeSlackApi
from tests.nudge_support import channels, ledger, subscribe, utc

MONDAY = utc(2025, 1, 13, 9, 0)
TENANT = "6e1c2a3b-9f8d-4c7b-a6e5-d4c3b2a1f0e9"


async def test_the_scheduler_loop_sends_what_is_due_and_stops_when_told(sql_store, content):
    api = FakeNudgeApi()
    await api.start()
    messengers = {p: HttpMessenger(p, api.url) for p in ("slack", "teams")}
    try:
        await subscribe(sql_store.engine, channels(6), on_at=MONDAY - timedelta(days=1))
        scheduler = NudgeScheduler(
            NudgeSender(SqlNudgeStore(sql_store.engine), content),
            messengers,
            every=3600,
            clock=lambda: MONDAY + timedelta(minutes=2),
        )
        task = asyncio.create_task(scheduler.run_forever())
        await api.wait_for_posts(6, timeout=30)
        scheduler.stop_claiming()
        await asyncio.wait_for(task, timeout=10)
        assert len(api.posts) == 6 and not api.duplicates()
    finally:
        for m in messengers.values():
            await m.close()
        await api.stop()


async def test_serve_runs_the_scheduler_through_both_platforms_and_stops_it_on_shutdown(tmp_path, cache_dir):
    """`leadbot serve`'s scheduler posts through the real Slack and Teams messengers (to the local fakes)."""
    slack = FakeSlackApi()
    await slack.start()
    slack.add_workspace("T0ONE", "xoxb-scheduler", bot_user_id="U0BOT")
    connector = await FakeConnector().start()
    settings = Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        SLACK_BOT_TOKEN="xoxb-scheduler",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=slack.api_url,
        LEADBOT_CACHE_DIR=str(cache_dir),
    )
    services = await services_for(settings)
    try:
        channel = "19:nudges0channel@thread.tacv2"
        place = Place(TENANT, "channel", channel, channel, channel, None)
        reference = ConversationReference(
            channel_id="msteams",
            service_url=connector.service_url,
            bot=ChannelAccount(id="28:leadbot"),
            conversation=ConversationAccount(id=channel, conversation_type="channel", tenant_id=TENANT, is_group=True),
        )
        await ReferenceStore(services.db).save(place, reference)
        now = datetime.now(UTC)
        schedule = Schedule(
            weekday=now.weekday(), local_time=time(0, 0), timezone="UTC"
        )  # today at midnight, unless a bank holiday moves it
        await subscribe(
            services.db, [("slack", "T0ONE", "C0TEAM"), ("teams", TENANT, channel)], schedule, on_at=utc(2020, 1, 1)
        )

        app = create_app(services, background=True)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        await asyncio.wait_for(app[NUDGE_SCHEDULER].ran.wait(), timeout=30)
        await asyncio.wait_for(runner.cleanup(), timeout=10)
        assert app[NUDGE_SCHEDULER].stop.is_set()

        slot = slot_at(schedule, now)
        due_now = slot.sendable and slot.due_at <= now < slot.day_ends_at
        expected = 1 if due_now else 0
        assert len(slack.of("chat.postMessage", channel="C0TEAM")) == expected
        assert len([s for s in connector.sent if s.kind == "send" and s.conversation_id == channel]) == expected
        rows = await ledger(services.db)
        assert sum(r.status == "sent" for r in rows.values()) == 2 * expected
        assert all(
            r.status in ("sent", "skipped") for r in rows.values()
        )  # earlier weeks recorded as missed, not sent late
    finally:
        await services.close()
        await connector.stop()
        await slack.stop()


async def test_shutdown_stops_the_scheduler_claiming_before_it_waits_for_replies_in_flight(tmp_path, cache_dir):
    """SIGTERM during a Monday fan-out: no new channel may be claimed while Slack replies drain."""
    import aiohttp

    from tests.fakes.slack_api import FakeSlackApi
    from tests.fakes.slack_harness import SECRET, slack_settings
    from tests.fakes.slack_requests import SlackSender, dm_event, event_envelope

    fake = FakeSlackApi()
    await fake.start()
    ws = fake.add_workspace("T0STOP", "xoxb-stop", bot_user_id="U0BOTSTOP")
    services = await services_for(
        slack_settings(f"sqlite+aiosqlite:///{tmp_path / 'stop.db'}", fake, cache_dir, token="xoxb-stop")
    )
    app = create_app(services, background=True)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        await asyncio.wait_for(app[NUDGE_SCHEDULER].ran.wait(), timeout=30)
        fake.slow["chat.postMessage"] = 2  # a reply is mid-send when shutdown begins
        async with aiohttp.ClientSession() as http:
            event = dm_event("T0STOP", "U0ALICE", "D0ALICE", "hello")
            resp = await SlackSender(http, f"http://127.0.0.1:{port}", SECRET).event(
                event_envelope("T0STOP", event, ws.bot_user_id)
            )
            assert resp.status == 200
        await fake.wait_until(lambda: any(c.method == "chat.postMessage" for c in fake.attempts))
        stop = app[NUDGE_SCHEDULER].stop
        seen_while_draining: list[bool] = []

        async def watch() -> None:
            await fake.wait_for("chat.postMessage")  # the reply lands during the drain
            seen_while_draining.append(stop.is_set())

        watcher = asyncio.create_task(watch())
        await asyncio.wait_for(runner.cleanup(), timeout=10)
        await watcher
        assert seen_while_draining == [True], "the scheduler was told to stop before the replies had drained"
        assert fake.of("chat.postMessage"), "and the reply in flight was delivered"
    finally:
        await services.close()
        await fake.stop()
