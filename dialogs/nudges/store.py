"""What weekly nudges need from storage, and an in-memory implementation for tests.

`NudgeStore` is what `dialogs.nudges.turns` reads and writes: a channel's
subscription, its row in the delivery ledger and its poll.

A poll keeps two things, and never which way a person voted: the totals per
choice, and while the poll is open a one-way hash of each voter (`voter_hash`),
only to refuse a second vote. The hashes go when the poll closes (`purge`). The SQL one is
`bot.storage.nudge_store.SqlNudgeStore` (SQLite or PostgreSQL); `MemoryNudgeStore`
is the same in dicts, for tests that are not about the database.

`NudgeLedger` is what the weekly fan-out (`bot.nudges.fanout`) needs on top:
claims and results that only one process can win. Those guarantees rest on
database constraints, so the ledger has only the SQL implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dialogs.nudges.schedule import Schedule

VOTES_KEPT = timedelta(weeks=8)  # the totals, as messages.yaml tells users
POLL_OPEN_WEEKS = 1  # a poll takes votes in its own week and the next (a Friday nudge, voted on on Monday)
LEDGER_KEPT = timedelta(weeks=60)  # the rotation looks back 52 weeks
FINAL = ("sent", "failed", "skipped", "unknown")
# Rows whose nudge may have reached the channel: they count for "no repeat within 52 weeks".
MAY_HAVE_GONE = ("sent", "unknown", "sending", "retry")

ChannelKey = tuple[str, str, str]  # platform, workspace_id, channel_id


def voter_hash(key: ChannelKey, week: str, user_id: str) -> str:
    """Who voted in one poll, one way: enough to refuse a second vote, and different in every poll,
    so the hashes of two polls cannot be matched up. It stores no choice and is deleted at close."""
    parts = (*key, week, user_id)
    data = "\x1f".join(f"{len(p)}:{p}" for p in parts)
    return hashlib.sha256(data.encode()).hexdigest()[:40]


def oldest_open_week(now: datetime) -> str:
    """Polls of weeks before this one are closed (see POLL_OPEN_WEEKS), wherever the service's clock is:
    a day's margin covers every timezone, so a poll's voter hashes go within a day of its close, never before."""
    from dialogs.nudges.schedule import add_weeks, week_key

    return add_weeks(week_key((now.astimezone(UTC) - timedelta(days=1)).date()), -POLL_OPEN_WEEKS)


@dataclass(frozen=True)
class Subscription:
    platform: str
    workspace_id: str
    channel_id: str
    enabled: bool
    schedule: Schedule
    turned_on_by: str | None
    turned_on_by_name: str | None
    turned_on_at: datetime | None
    paused_at: datetime | None
    paused_reason: str | None

    @property
    def key(self) -> ChannelKey:
        return (self.platform, self.workspace_id, self.channel_id)

    @property
    def active(self) -> bool:
        return self.enabled and self.paused_at is None


@dataclass(frozen=True)
class LedgerRow:
    platform: str
    workspace_id: str
    channel_id: str
    week: str
    status: str  # sending | sent | retry | failed | skipped | unknown
    nudge_id: str | None
    attempts: int
    due_at: datetime | None
    day_ends_at: datetime | None
    claim_token: str | None
    next_attempt_at: datetime | None
    message_ref: str | None
    last_error: str | None

    @property
    def key(self) -> ChannelKey:
        return (self.platform, self.workspace_id, self.channel_id)


@dataclass(frozen=True)
class Claim:
    """A request to claim one channel's week, for `NudgeLedger.claim_many`."""

    key: ChannelKey
    week: str
    choose: Callable[[list[tuple[str, str]]], str]  # the channel's history -> the nudge to send
    since_week: str
    due_at: datetime | None
    day_ends_at: datetime | None
    token: str
    lease_until: datetime
    now: datetime


@dataclass(frozen=True)
class Result:
    """What happened to a claim, for `NudgeLedger.record_many`."""

    key: ChannelKey
    week: str
    token: str
    status: str
    now: datetime
    nudge_id: str | None = None
    ref: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


class NudgeStore(Protocol):
    async def subscription(self, key: ChannelKey) -> Subscription | None: ...

    async def subscriptions(self, active_only: bool = False) -> list[Subscription]: ...

    async def turn_on(
        self, key: ChannelKey, schedule: Schedule, user_id: str, user_name: str | None, now: datetime
    ) -> bool:
        """Save the schedule and switch nudges on. True if they were already on (a schedule change).

        A schedule change keeps who turned them on; starting them (again) records the person and
        the time, and lifts a pause."""
        ...

    async def turn_off(self, key: ChannelKey, now: datetime, user_id: str | None = None) -> bool:
        """Switch nudges off, keeping the schedule and forgetting who turned them on. True if they were on.
        `user_id` (who turned them off) goes to the audit log only."""
        ...

    async def pause(self, key: ChannelKey, reason: str, now: datetime) -> None: ...

    async def row(self, key: ChannelKey, week: str) -> LedgerRow | None: ...

    async def rows(self, key: ChannelKey | None = None) -> list[LedgerRow]: ...

    async def statuses(self, weeks: Iterable[str]) -> dict[tuple[str, str, str, str], str]: ...

    async def set_ref(self, key: ChannelKey, week: str, ref: str) -> None:
        """Learn a message's id after the fact (a poll press on a nudge whose send outcome was unknown)."""
        ...

    async def vote(self, key: ChannelKey, week: str, user_id: str, choice: str, now: datetime) -> bool:
        """One vote per person per poll, added to the totals. False (and nothing counted) if this person
        has voted in it already. Which way anyone voted is never stored, so a vote cannot be changed."""
        ...

    async def counts(self, key: ChannelKey, week: str) -> dict[str, int]: ...

    async def purge(self, now: datetime | None = None, open_since: str | None = None) -> dict[str, int]:
        """Drop the voter hashes of closed polls (weeks before `open_since`), totals after VOTES_KEPT,
        and the ledger after LEDGER_KEPT."""
        ...

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        """Forget me: delete the person's voter hashes (their votes stay in the totals, which name nobody);
        scrub their name from subscriptions (those belong to the channel)."""
        ...


class NudgeLedger(NudgeStore, Protocol):
    async def history(self, key: ChannelKey, since_week: str) -> list[tuple[str, str]]: ...

    async def pending(self, now: datetime) -> list[LedgerRow]: ...

    async def claim_many(self, claims: list[Claim]) -> list[str | None]: ...

    async def record_many(self, results: list[Result]) -> None: ...

    async def reclaim(
        self, key: ChannelKey, week: str, from_status: str, token: str, lease_until: datetime, now: datetime
    ) -> LedgerRow | None: ...

    async def skip(
        self,
        key: ChannelKey,
        week: str,
        reason: str,
        due_at: datetime | None,
        day_ends_at: datetime | None,
        now: datetime,
    ) -> bool: ...

    async def expire_leases(self, now: datetime) -> list[str]: ...

    async def close_day(self, now: datetime) -> list[str]: ...


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryNudgeStore:
    """A NudgeStore in dicts. `ledger` may be filled directly by a test ("this week's nudge went out")."""

    def __init__(self) -> None:
        self.subs: dict[ChannelKey, Subscription] = {}
        self.ledger: dict[tuple[ChannelKey, str], LedgerRow] = {}
        self.voters: dict[tuple[ChannelKey, str], set[str]] = {}  # (channel, week) -> voter hashes
        self.tallies: dict[tuple[ChannelKey, str], tuple[dict[str, int], datetime]] = {}  # -> (totals, last vote)
        self.updated: dict[ChannelKey, datetime] = {}

    async def subscription(self, key: ChannelKey) -> Subscription | None:
        return self.subs.get(key)

    async def subscriptions(self, active_only: bool = False) -> list[Subscription]:
        return [self.subs[k] for k in sorted(self.subs) if self.subs[k].active or not active_only]

    async def turn_on(
        self, key: ChannelKey, schedule: Schedule, user_id: str, user_name: str | None, now: datetime
    ) -> bool:
        current = self.subs.get(key)
        was_on = bool(current and current.active)
        if was_on:
            self.subs[key] = replace(current, schedule=schedule)
        else:
            self.subs[key] = Subscription(*key, True, schedule, user_id, user_name, now, None, None)
        self.updated[key] = now
        return was_on

    async def turn_off(self, key: ChannelKey, now: datetime, user_id: str | None = None) -> bool:
        current = self.subs.get(key)
        if current is None or not current.enabled:
            return False
        self.subs[key] = replace(
            current,
            enabled=False,
            turned_on_by=None,
            turned_on_by_name=None,
            turned_on_at=None,
            paused_at=None,
            paused_reason=None,
        )
        self.updated[key] = now
        return True

    async def pause(self, key: ChannelKey, reason: str, now: datetime) -> None:
        current = self.subs.get(key)
        if current is not None and current.paused_at is None:
            self.subs[key] = replace(current, paused_at=now, paused_reason=reason[:64])

    async def row(self, key: ChannelKey, week: str) -> LedgerRow | None:
        return self.ledger.get((key, week))

    async def rows(self, key: ChannelKey | None = None) -> list[LedgerRow]:
        return [row for (k, week), row in sorted(self.ledger.items()) if key is None or k == key]

    async def statuses(self, weeks: Iterable[str]) -> dict[tuple[str, str, str, str], str]:
        wanted = set(weeks)
        return {(*k, week): row.status for (k, week), row in self.ledger.items() if week in wanted}

    async def set_ref(self, key: ChannelKey, week: str, ref: str) -> None:
        row = self.ledger.get((key, week))
        if row is not None and row.message_ref is None:
            self.ledger[(key, week)] = replace(row, message_ref=ref[:128])

    async def vote(self, key: ChannelKey, week: str, user_id: str, choice: str, now: datetime) -> bool:
        voters = self.voters.setdefault((key, week), set())
        who = voter_hash(key, week, user_id)
        if who in voters:
            return False
        voters.add(who)
        totals, _ = self.tallies.get((key, week), ({}, now))
        self.tallies[(key, week)] = ({**totals, choice: totals.get(choice, 0) + 1}, now)
        return True

    async def counts(self, key: ChannelKey, week: str) -> dict[str, int]:
        return dict(self.tallies.get((key, week), ({}, None))[0])

    async def purge(self, now: datetime | None = None, open_since: str | None = None) -> dict[str, int]:
        now = now or _now()
        open_since = open_since or oldest_open_week(now)
        closed = [k for k in self.voters if k[1] < open_since]
        hashes = sum(len(self.voters.pop(k)) for k in closed)
        old = [k for k, (_, when) in self.tallies.items() if when < now - VOTES_KEPT]
        for k in old:
            del self.tallies[k]
        # a test fills the ledger by hand; it keeps it
        return {"poll_voters": hashes, "poll_tallies": len(old), "nudge_deliveries": 0}

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        mine = 0
        for (k, week), voters in self.voters.items():
            if k[:2] == (platform, workspace_id) and voter_hash(k, week, user_id) in voters:
                voters.discard(voter_hash(k, week, user_id))
                mine += 1
        named = [k for k, s in self.subs.items() if k[:2] == (platform, workspace_id) and s.turned_on_by == user_id]
        for k in named:
            self.subs[k] = replace(self.subs[k], turned_on_by=None, turned_on_by_name=None)
        return mine + len(named)
