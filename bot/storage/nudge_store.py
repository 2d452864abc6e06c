"""Nudge subscriptions, the delivery ledger and polls on SQLAlchemy (SQLite or PostgreSQL).

`SqlNudgeStore` implements `dialogs.nudges.store.NudgeLedger` (and so `NudgeStore`).
Every guarantee rests on one statement that only one process can win:

- a first claim is `INSERT ... ON CONFLICT DO NOTHING RETURNING` on the ledger's primary key
  (platform, workspace, channel, week), for a batch of channels at once (`claim_many`);
- a re-claim (retry, reconcile) is `UPDATE ... WHERE status = <expected> ... RETURNING`,
  which PostgreSQL re-checks after waiting for a concurrent writer and SQLite
  runs under its single write lock (BEGIN IMMEDIATE);
- a result is recorded only by the claim that holds `claim_token` (`record_many`); 'unknown'
  rows too, since a slow claim that outlived its lease may still say what really happened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import audit
from bot.storage.db import transaction
from bot.storage.sql_store import forget_in
from bot.storage.tables import nudge_deliveries, nudge_subscriptions, poll_tallies, poll_voters
from dialogs.nudges.schedule import Schedule
from dialogs.nudges.store import (
    FINAL,
    LEDGER_KEPT,
    MAY_HAVE_GONE,
    VOTES_KEPT,
    ChannelKey,
    Claim,
    LedgerRow,
    Result,
    Subscription,
    oldest_open_week,
    voter_hash,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(ts: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we write is UTC.
    if ts is None:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


KEY_COLUMNS = ["platform", "workspace_id", "channel_id", "week"]


def _sub(row) -> Subscription:
    return Subscription(
        row.platform,
        row.workspace_id,
        row.channel_id,
        bool(row.enabled),
        Schedule(
            weekday=row.weekday,
            local_time=row.local_time,
            timezone=row.timezone,
            region=row.region,
            language=row.language,
        ),
        row.turned_on_by,
        row.turned_on_by_name,
        _aware(row.turned_on_at),
        _aware(row.paused_at),
        row.paused_reason,
    )


def _ledger(row) -> LedgerRow:
    return LedgerRow(
        row.platform,
        row.workspace_id,
        row.channel_id,
        row.week,
        row.status,
        row.nudge_id,
        row.attempts,
        _aware(row.due_at),
        _aware(row.day_ends_at),
        row.claim_token,
        _aware(row.next_attempt_at),
        row.message_ref,
        row.last_error,
    )


def _schedule(schedule: Schedule) -> dict[str, str | int]:
    return {
        "weekday": schedule.weekday,
        "time": schedule.local_time.strftime("%H:%M"),
        "timezone": schedule.timezone,
        "region": schedule.region,
    }


def _channel(table, key: ChannelKey):
    platform, workspace_id, channel_id = key
    return and_(table.c.platform == platform, table.c.workspace_id == workspace_id, table.c.channel_id == channel_id)


def _week(key: ChannelKey, week: str):
    return and_(_channel(nudge_deliveries, key), nudge_deliveries.c.week == week)


class SqlNudgeStore:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    # --- subscriptions ---------------------------------------------------------

    async def subscription(self, key: ChannelKey) -> Subscription | None:
        async with transaction(self.engine) as conn:
            row = (await conn.execute(select(nudge_subscriptions).where(_channel(nudge_subscriptions, key)))).first()
        return _sub(row) if row else None

    async def subscriptions(self, active_only: bool = False) -> list[Subscription]:
        t = nudge_subscriptions.c
        stmt = select(nudge_subscriptions).order_by(t.platform, t.workspace_id, t.channel_id)
        if active_only:
            stmt = stmt.where(t.enabled.is_(True), t.paused_at.is_(None))
        async with transaction(self.engine) as conn:
            return [_sub(r) for r in await conn.execute(stmt)]

    async def turn_on(
        self, key: ChannelKey, schedule: Schedule, user_id: str, user_name: str | None, now: datetime
    ) -> bool:
        """Save the schedule and switch nudges on. Returns True if they were already on (a schedule change).

        Changing the schedule of a running subscription keeps who turned it on; starting it
        (again) records the person and the time, and lifts a pause.
        """
        values = {
            "weekday": schedule.weekday,
            "local_time": schedule.local_time,
            "timezone": schedule.timezone,
            "region": schedule.region,
            "language": schedule.language,
            "updated_at": now,
        }
        async with transaction(self.engine) as conn:
            row = (await conn.execute(select(nudge_subscriptions).where(_channel(nudge_subscriptions, key)))).first()
            was_on = bool(row and row.enabled and row.paused_at is None)
            if not was_on:
                values.update(
                    enabled=True,
                    turned_on_by=user_id,
                    turned_on_by_name=user_name,
                    turned_on_at=now,
                    paused_at=None,
                    paused_reason=None,
                )
            platform, workspace_id, channel_id = key
            await audit.record(
                conn,
                "subscription",
                "schedule_changed" if was_on else "nudge_on",
                at=now,
                platform=platform,
                workspace_id=workspace_id,
                channel_id=channel_id,
                actor=user_id,
                detail=_schedule(schedule),
            )
            if row is None:
                stmt = self._insert(nudge_subscriptions).values(
                    platform=platform, workspace_id=workspace_id, channel_id=channel_id, **values
                )
                # Two people typing "nudge on" at once: the second becomes an update.
                stmt = stmt.on_conflict_do_update(
                    index_elements=["platform", "workspace_id", "channel_id"], set_=values
                )
                await conn.execute(stmt)
            else:
                await conn.execute(
                    update(nudge_subscriptions).where(_channel(nudge_subscriptions, key)).values(**values)
                )
        return was_on

    async def turn_off(self, key: ChannelKey, now: datetime, user_id: str | None = None) -> bool:
        """Switch nudges off. The schedule is kept for next time; who turned them on is not (the audit
        log keeps who turned them off, and on, for LEADBOT_AUDIT_DAYS)."""
        t = nudge_subscriptions.c
        async with transaction(self.engine) as conn:
            result = await conn.execute(
                update(nudge_subscriptions)
                .where(_channel(nudge_subscriptions, key), t.enabled.is_(True))
                .values(
                    enabled=False,
                    turned_on_by=None,
                    turned_on_by_name=None,
                    turned_on_at=None,
                    paused_at=None,
                    paused_reason=None,
                    updated_at=now,
                )
            )
            was_on = (result.rowcount or 0) > 0
            if was_on:
                platform, workspace_id, channel_id = key
                await audit.record(
                    conn,
                    "subscription",
                    "nudge_off",
                    at=now,
                    platform=platform,
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    actor=user_id,
                )
        return was_on

    async def pause(self, key: ChannelKey, reason: str, now: datetime) -> None:
        t = nudge_subscriptions.c
        async with transaction(self.engine) as conn:
            result = await conn.execute(
                update(nudge_subscriptions)
                .where(_channel(nudge_subscriptions, key), t.paused_at.is_(None))
                .values(paused_at=now, paused_reason=reason[:64], updated_at=now)
            )
            if result.rowcount:
                platform, workspace_id, channel_id = key
                await audit.record(
                    conn,
                    "subscription",
                    "paused",
                    at=now,
                    platform=platform,
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    detail={"reason": reason[:64]},
                )

    # --- the ledger: reading ------------------------------------------------------

    async def statuses(self, weeks: Iterable[str]) -> dict[tuple[str, str, str, str], str]:
        t = nudge_deliveries.c
        weeks = sorted(set(weeks))
        if not weeks:
            return {}
        async with transaction(self.engine) as conn:
            rows = await conn.execute(
                select(t.platform, t.workspace_id, t.channel_id, t.week, t.status).where(t.week.in_(weeks))
            )
            return {(r.platform, r.workspace_id, r.channel_id, r.week): r.status for r in rows}

    async def row(self, key: ChannelKey, week: str) -> LedgerRow | None:
        async with transaction(self.engine) as conn:
            row = (await conn.execute(select(nudge_deliveries).where(_week(key, week)))).first()
        return _ledger(row) if row else None

    async def rows(self, key: ChannelKey | None = None) -> list[LedgerRow]:
        t = nudge_deliveries.c
        stmt = select(nudge_deliveries).order_by(t.platform, t.workspace_id, t.channel_id, t.week)
        if key is not None:
            stmt = stmt.where(_channel(nudge_deliveries, key))
        async with transaction(self.engine) as conn:
            return [_ledger(r) for r in await conn.execute(stmt)]

    async def history(self, key: ChannelKey, since_week: str) -> list[tuple[str, str]]:
        async with transaction(self.engine) as conn:
            return await self._history(conn, key, since_week)

    async def _history(self, conn, key: ChannelKey, since_week: str) -> list[tuple[str, str]]:
        t = nudge_deliveries.c
        rows = await conn.execute(
            select(t.week, t.nudge_id).where(
                _channel(nudge_deliveries, key),
                t.week >= since_week,
                t.nudge_id.is_not(None),
                t.status.in_(MAY_HAVE_GONE),
            )
        )
        return [(r.week, r.nudge_id) for r in rows]

    async def pending(self, now: datetime) -> list[LedgerRow]:
        """Retries whose time has come, and unknown outcomes waiting to be looked up, within their day."""
        t = nudge_deliveries.c
        stmt = select(nudge_deliveries).where(
            t.status.in_(("retry", "unknown")),
            t.next_attempt_at.is_not(None),
            t.next_attempt_at <= now,
            t.day_ends_at > now,
        )
        async with transaction(self.engine) as conn:
            return [_ledger(r) for r in await conn.execute(stmt)]

    # --- the ledger: claims and results ----------------------------------------

    async def claim_many(self, claims: list[Claim]) -> list[str | None]:
        """Claim many channels' weeks in one transaction: one history query, one multi-row
        INSERT ... ON CONFLICT DO NOTHING RETURNING. Rows go in key order, so two processes
        claiming overlapping batches take their row locks in the same order and never deadlock."""
        if not claims:
            return []
        t = nudge_deliveries.c
        async with transaction(self.engine) as conn:
            history: dict[ChannelKey, list[tuple[str, str]]] = defaultdict(list)
            rows = await conn.execute(
                select(t.platform, t.workspace_id, t.channel_id, t.week, t.nudge_id).where(
                    tuple_(t.platform, t.workspace_id, t.channel_id).in_(sorted({c.key for c in claims})),
                    t.week >= min(c.since_week for c in claims),
                    t.nudge_id.is_not(None),
                    t.status.in_(MAY_HAVE_GONE),
                )
            )
            for r in rows:
                history[(r.platform, r.workspace_id, r.channel_id)].append((r.week, r.nudge_id))
            chosen = [c.choose([h for h in history[c.key] if h[0] >= c.since_week]) for c in claims]
            values = [
                {
                    "platform": c.key[0],
                    "workspace_id": c.key[1],
                    "channel_id": c.key[2],
                    "week": c.week,
                    "status": "sending",
                    "nudge_id": nudge_id,
                    "attempts": 1,
                    "due_at": c.due_at,
                    "day_ends_at": c.day_ends_at,
                    "claim_token": c.token,
                    "lease_until": c.lease_until,
                    "updated_at": c.now,
                }
                for c, nudge_id in sorted(
                    zip(claims, chosen, strict=False), key=lambda pair: (*pair[0].key, pair[0].week)
                )
            ]
            stmt = (
                self._insert(nudge_deliveries)
                .values(values)
                .on_conflict_do_nothing(index_elements=KEY_COLUMNS)
                .returning(t.platform, t.workspace_id, t.channel_id, t.week)
            )
            won = {(r.platform, r.workspace_id, r.channel_id, r.week) for r in await conn.execute(stmt)}
        return [nudge_id if (*c.key, c.week) in won else None for c, nudge_id in zip(claims, chosen, strict=False)]

    async def record_many(self, results: list[Result]) -> None:
        """Record what happened to many claims in one transaction (executemany), in key order."""
        if not results:
            return
        t = nudge_deliveries.c
        stmt = (
            update(nudge_deliveries)
            .where(
                t.platform == bindparam("k_platform"),
                t.workspace_id == bindparam("k_workspace"),
                t.channel_id == bindparam("k_channel"),
                t.week == bindparam("k_week"),
                t.claim_token == bindparam("k_token"),
                or_(t.status == "sending", t.status == "unknown"),
            )
            .values(
                status=bindparam("v_status"),
                next_attempt_at=bindparam("v_next"),
                lease_until=bindparam("v_lease"),
                updated_at=bindparam("v_now"),
                last_error=bindparam("v_error"),
                claim_token=bindparam("v_token"),
                message_ref=func.coalesce(bindparam("v_ref", type_=t.message_ref.type), t.message_ref),
                nudge_id=func.coalesce(bindparam("v_nudge", type_=t.nudge_id.type), t.nudge_id),
            )
        )
        params = [
            {
                "k_platform": r.key[0],
                "k_workspace": r.key[1],
                "k_channel": r.key[2],
                "k_week": r.week,
                "k_token": r.token,
                "v_status": r.status,
                "v_next": r.next_attempt_at,
                "v_lease": None,
                "v_now": r.now,
                "v_error": (r.error or None) and r.error[:64],
                "v_token": None if r.status in FINAL else r.token,
                "v_ref": r.ref and r.ref[:128],
                "v_nudge": r.nudge_id,
            }
            for r in sorted(results, key=lambda r: (*r.key, r.week))
        ]
        async with transaction(self.engine) as conn:
            await conn.execute(stmt, params)

    async def reclaim(
        self, key: ChannelKey, week: str, from_status: str, token: str, lease_until: datetime, now: datetime
    ) -> LedgerRow | None:
        """Take a 'retry' (or 'unknown', to look it up) row whose time has come. Only one caller wins."""
        t = nudge_deliveries.c
        bump = t.attempts + 1 if from_status == "retry" else t.attempts
        stmt = (
            update(nudge_deliveries)
            .where(
                _week(key, week),
                t.status == from_status,
                t.next_attempt_at.is_not(None),
                t.next_attempt_at <= now,
                t.day_ends_at > now,
            )
            .values(status="sending", claim_token=token, lease_until=lease_until, attempts=bump, updated_at=now)
            .returning(*nudge_deliveries.c)
        )
        async with transaction(self.engine) as conn:
            row = (await conn.execute(stmt)).first()
        return _ledger(row) if row else None

    async def skip(
        self,
        key: ChannelKey,
        week: str,
        reason: str,
        due_at: datetime | None,
        day_ends_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Record that a week had no nudge (missed its day, or no working day left). False if the week has a row."""
        platform, workspace_id, channel_id = key
        stmt = (
            self._insert(nudge_deliveries)
            .values(
                platform=platform,
                workspace_id=workspace_id,
                channel_id=channel_id,
                week=week,
                status="skipped",
                attempts=0,
                due_at=due_at,
                day_ends_at=day_ends_at,
                last_error=reason,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "channel_id", "week"])
        )
        async with transaction(self.engine) as conn:
            result = await conn.execute(stmt)
        return result.rowcount == 1

    async def expire_leases(self, now: datetime) -> list[str]:
        """'sending' rows whose claim outlived its lease: the process died mid-send. They become 'unknown'
        and are looked up (never simply re-sent). Returns their platforms, for metrics."""
        t = nudge_deliveries.c
        stmt = (
            update(nudge_deliveries)
            .where(t.status == "sending", t.lease_until < now)
            .values(status="unknown", next_attempt_at=now, last_error="lease_expired", updated_at=now)
            .returning(t.platform)
        )
        async with transaction(self.engine) as conn:
            return [r.platform for r in await conn.execute(stmt)]

    async def close_day(self, now: datetime) -> list[str]:
        """After the due day: retries become 'failed' (no late nudges) and unknowns stop being looked up."""
        t = nudge_deliveries.c
        async with transaction(self.engine) as conn:
            failed = await conn.execute(
                update(nudge_deliveries)
                .where(t.status == "retry", t.day_ends_at <= now)
                .values(status="failed", next_attempt_at=None, claim_token=None, updated_at=now)
                .returning(t.platform)
            )
            platforms = [r.platform for r in failed]
            await conn.execute(
                update(nudge_deliveries)
                .where(t.status == "unknown", t.next_attempt_at.is_not(None), t.day_ends_at <= now)
                .values(next_attempt_at=None, claim_token=None, updated_at=now)
            )
        return platforms

    async def set_ref(self, key: ChannelKey, week: str, ref: str) -> None:
        """Learn a message's id after the fact (a poll press on a nudge whose send outcome was unknown)."""
        t = nudge_deliveries.c
        async with transaction(self.engine) as conn:
            await conn.execute(
                update(nudge_deliveries).where(_week(key, week), t.message_ref.is_(None)).values(message_ref=ref[:128])
            )

    # --- votes --------------------------------------------------------------------

    async def vote(self, key: ChannelKey, week: str, user_id: str, choice: str, now: datetime) -> bool:
        """One vote per person per poll: the voter's hash is claimed (INSERT ... ON CONFLICT DO NOTHING on its
        primary key) and, only if that claim was new, the choice's total goes up, in the same transaction.
        Which way the person voted is stored nowhere. False if they had voted already."""
        platform, workspace_id, channel_id = key
        poll = {"platform": platform, "workspace_id": workspace_id, "channel_id": channel_id, "week": week}
        claim = (
            self._insert(poll_voters)
            .values(**poll, voter_hash=voter_hash(key, week, user_id), voted_at=now)
            .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "channel_id", "week", "voter_hash"])
        )
        add = self._insert(poll_tallies).values(**poll, choice=choice, votes=1, updated_at=now)
        add = add.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "channel_id", "week", "choice"],
            set_={"votes": poll_tallies.c.votes + 1, "updated_at": now},
        )
        async with transaction(self.engine) as conn:
            if (await conn.execute(claim)).rowcount != 1:
                return False
            await conn.execute(add)
        return True

    async def counts(self, key: ChannelKey, week: str) -> dict[str, int]:
        t = poll_tallies.c
        async with transaction(self.engine) as conn:
            rows = await conn.execute(select(t.choice, t.votes).where(_channel(poll_tallies, key), t.week == week))
            return {r.choice: int(r.votes) for r in rows if r.votes}

    # --- housekeeping ----------------------------------------------------------------

    async def purge(self, now: datetime | None = None, open_since: str | None = None) -> dict[str, int]:
        """Closed polls lose their voter hashes (within a day of closing), totals go after 8 weeks,
        the ledger after 60."""
        now = now or _now()
        open_since = open_since or oldest_open_week(now)
        async with transaction(self.engine) as conn:
            voters = await conn.execute(delete(poll_voters).where(poll_voters.c.week < open_since))
            tallies = await conn.execute(delete(poll_tallies).where(poll_tallies.c.updated_at < now - VOTES_KEPT))
            ledger = await conn.execute(
                delete(nudge_deliveries).where(nudge_deliveries.c.updated_at < now - LEDGER_KEPT)
            )
            purged = {
                "poll_voters": voters.rowcount or 0,
                "poll_tallies": tallies.rowcount or 0,
                "nudge_deliveries": ledger.rowcount or 0,
            }
            await audit.record_retention(conn, "nudges", purged, now)
        return purged

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        """Forget me, for the nudge tables alone; a conversation's "forget me" covers them as well as every other table."""
        async with transaction(self.engine) as conn:
            return await forget_in(conn, [nudge_subscriptions, poll_voters], platform, workspace_id, user_id)
