"""Helpers for the nudge tests: subscribe channels in bulk, read the ledger, nudges put together as a process does."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.delivery import Messenger
from bot.metrics import Metrics
from bot.nudges.fanout import NudgeSender
from bot.nudges.polls import PollBoard
from bot.storage.tables import nudge_deliveries, nudge_subscriptions
from dialogs.content_loader import Content
from dialogs.models import Reply
from dialogs.nudges.schedule import Schedule
from dialogs.nudges.store import NudgeStore
from dialogs.nudges.turns import NudgeTurns

UTC = UTC
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def channels(n: int, workspaces: int = 5, platforms=("slack", "teams")) -> list[tuple[str, str, str]]:
    """n channels spread over both platforms and several workspaces each."""
    out = []
    for i in range(n):
        platform = platforms[i % len(platforms)]
        out.append((platform, f"{platform[0].upper()}W{i % workspaces}", f"C{i:05d}"))
    return out


async def subscribe(
    engine, keys, schedule: Schedule = Schedule(), on_at: datetime = LONG_AGO, by: str = "U_ADMIN"
) -> None:
    rows = [
        {
            "platform": p,
            "workspace_id": w,
            "channel_id": c,
            "enabled": True,
            "weekday": schedule.weekday,
            "local_time": schedule.local_time,
            "timezone": schedule.timezone,
            "region": schedule.region,
            "turned_on_by": by,
            "turned_on_by_name": "Alex Admin",
            "turned_on_at": on_at,
            "paused_at": None,
            "paused_reason": None,
            "updated_at": on_at,
        }
        for p, w, c in keys
    ]
    async with engine.begin() as conn:
        for start in range(0, len(rows), 1000):
            await conn.execute(nudge_subscriptions.insert(), rows[start : start + 1000])


async def ledger(engine) -> dict[tuple[str, str, str, str], object]:
    async with engine.begin() as conn:
        rows = (await conn.execute(select(nudge_deliveries))).all()
    return {(r.platform, r.workspace_id, r.channel_id, r.week): r for r in rows}


class Nudges:
    """What `leadbot serve` puts together for a channel's nudges, without a web server or a platform:
    the commands and votes (`NudgeTurns`), the poll counts shown on the message after a vote, as the
    turn router does, and (over a SQL store) the weekly fan-out."""

    def __init__(
        self,
        content: Content,
        store: NudgeStore,
        messengers: dict[str, Messenger],
        events=None,
        metrics: Metrics | None = None,
    ):
        self.turns = NudgeTurns(content, store, events=events)
        self.store = store
        self.messengers = messengers
        self.polls = PollBoard(content, store, messengers)
        self.metrics = metrics

    async def command(self, inbound, now: datetime) -> list[Reply]:
        return (await self.turns.command(inbound, now)).replies

    async def vote(self, inbound, now: datetime) -> list[Reply]:
        result = await self.turns.vote(inbound, now)
        if result.refresh is not None:
            await self.polls.refresh(result.refresh)
        return result.replies

    async def send_due(self, now: datetime):
        return await NudgeSender(self.store, self.turns.content, self.metrics).send_due(now, self.messengers)  # type: ignore[arg-type]


async def spawn_send_due(database_url: str, fake_url: str, at: datetime, *extra: str) -> asyncio.subprocess.Process:
    """One OS process running the weekly fan-out (tests/fakes/send_due_main.py) against the fake platform API."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.send_due_main",
        "--database-url",
        database_url,
        "--fake",
        fake_url,
        "--at",
        at.isoformat(),
        *extra,
        cwd=str(Path(__file__).resolve().parent.parent),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=os.environ.copy(),
    )
