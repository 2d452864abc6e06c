"""The audit log: who changed what and when, without anyone's words (`leadbot audit`).

Every event is a fixed name (kind and action) with ids, a count and a small
`detail` of fixed vocabulary: setting names and values that are not secret,
fingerprints, table names and counts, a channel's schedule. Nothing a person
typed can reach it: no function here takes free text from a message.

| kind | action | who | what else |
| --- | --- | --- | --- |
| subscription | nudge_on, schedule_changed, nudge_off, paused | the platform user id (paused: none) | platform, workspace, channel; the schedule or the platform's error code |
| settings | first_recorded, changed | none | which settings changed, and their new values (secrets only as set / not set) |
| content | first_recorded, changed | none | the content fingerprint, before and after |
| forget_me | ran | never | the platform and how many rows went |
| retention | conversations, nudges, audit | none | rows deleted per table |

Escalations are counted per day, platform and topic in `escalation_counts`, never
with the person or the words. Both tables are kept for LEADBOT_AUDIT_DAYS.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.db import transaction
from bot.storage.tables import audit_events, escalation_counts

RETENTION_NOTE_EVERY = timedelta(hours=23)  # a retention run that deleted nothing is noted about once a day


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


async def record(
    conn: AsyncConnection,
    kind: str,
    action: str,
    *,
    at: datetime | None = None,
    platform: str | None = None,
    workspace_id: str | None = None,
    channel_id: str | None = None,
    actor: str | None = None,
    count: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One event, inside the caller's transaction: it is recorded if and only if the change is."""
    await conn.execute(
        audit_events.insert().values(
            at=at or _now(),
            kind=kind,
            action=action,
            platform=platform,
            workspace_id=workspace_id,
            channel_id=channel_id,
            actor=actor,
            count=count,
            detail=detail,
        )
    )


def escalation_stmt(insert, platform: str, topic: str, day: date):
    """One more escalation that day on that platform and topic (`insert`: the dialect's, for its upsert)."""
    stmt = insert(escalation_counts).values(day=day, platform=platform, topic=topic[:64], count=1)
    return stmt.on_conflict_do_update(
        index_elements=["day", "platform", "topic"], set_={"count": escalation_counts.c.count + 1}
    )


async def record_retention(conn: AsyncConnection, action: str, purged: dict[str, int], now: datetime) -> None:
    """A retention run: always when it deleted something, otherwise about once a day (it runs hourly on
    every replica), so that 'when did retention last run' has an answer without thousands of rows."""
    if not any(purged.values()):
        t = audit_events.c
        last = (
            await conn.execute(
                select(t.at).where(t.kind == "retention", t.action == action).order_by(t.at.desc()).limit(1)
            )
        ).scalar()
        if last is not None and _aware(last) > now - RETENTION_NOTE_EVERY:
            return
    await record(conn, "retention", action, at=now, count=sum(purged.values()), detail=dict(purged))


def _event(row) -> dict[str, Any]:
    return {
        "at": _aware(row.at).isoformat(timespec="seconds"),
        "kind": row.kind,
        "action": row.action,
        "platform": row.platform,
        "workspace_id": row.workspace_id,
        "channel_id": row.channel_id,
        "actor": row.actor,
        "count": row.count,
        "detail": row.detail,
    }


class AuditLog:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def record(self, kind: str, action: str, **fields: Any) -> None:
        async with transaction(self.engine) as conn:
            await record(conn, kind, action, **fields)

    async def events(self, since: datetime | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        t = audit_events.c
        stmt = select(audit_events).order_by(t.at, t.id)
        if since is not None:
            stmt = stmt.where(t.at >= since)
        if kind is not None:
            stmt = stmt.where(t.kind == kind)
        async with transaction(self.engine) as conn:
            return [_event(r) for r in await conn.execute(stmt)]

    async def last(self, kind: str) -> dict[str, Any] | None:
        t = audit_events.c
        async with transaction(self.engine) as conn:
            row = (
                await conn.execute(
                    select(audit_events).where(t.kind == kind).order_by(t.at.desc(), t.id.desc()).limit(1)
                )
            ).first()
        return _event(row) if row else None

    async def escalations(self, since: date | None = None) -> list[dict[str, Any]]:
        t = escalation_counts.c
        stmt = select(escalation_counts).order_by(t.day, t.platform, t.topic)
        if since is not None:
            stmt = stmt.where(t.day >= since)
        async with transaction(self.engine) as conn:
            return [
                {"day": r.day.isoformat(), "platform": r.platform, "topic": r.topic, "count": int(r.count)}
                for r in await conn.execute(stmt)
            ]

    async def purge(self, audit_days: int, now: datetime | None = None) -> dict[str, int]:
        """Drop events and escalation counts older than LEADBOT_AUDIT_DAYS, noting the run itself."""
        now = now or _now()
        cutoff = now - timedelta(days=audit_days)
        async with transaction(self.engine) as conn:
            events = await conn.execute(delete(audit_events).where(audit_events.c.at < cutoff))
            counts = await conn.execute(delete(escalation_counts).where(and_(escalation_counts.c.day < cutoff.date())))
            purged = {"audit_events": events.rowcount or 0, "escalation_counts": counts.rowcount or 0}
            await record_retention(conn, "audit", purged, now)
        return purged
