"""What weekly nudges need from storage, and an in-memory implementation for tests.

`NudgeStore` is what `dialogs.nudges.turns` reads and writes: a channel's
subscription, its row in the delivery ledger and its poll votes. The SQL one is
`bot.storage.nudge_store.SqlNudgeStore` (SQLite or PostgreSQL); `MemoryNudgeStore`
is the same in dicts, for tests that are not about the database.

`NudgeLedger` is what the weekly fan-out (`bot.nudges.fanout`) needs on top:
claims and results that only one process can win. Those guarantees rest on
database constraints, so the ledger has only the SQL implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dialogs.nudges.schedule import Schedule

VOTES_KEPT = timedelta(weeks=8)  # as messages.yaml tells users
LEDGER_KEPT = timedelta(weeks=60)  # the rotation looks back 52 weeks
FINAL = ("sent", "failed", "skipped", "unknown")
# Rows whose nudge may have reached the channel: they count for "no repeat within 52 weeks".
MAY_HAVE_GONE = ("sent", "unknown", "sending", "retry")

ChannelKey = tuple[str, str, str]  # platform, workspace_id, channel_id


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

    async def turn_off(self, key: ChannelKey, now: datetime) -> bool:
        """Switch nudges off, keeping the schedule and forgetting who turned them on. True if they were on."""
        ...

    async def pause(self, key: ChannelKey, reason: str, now: datetime) -> None: ...

    async def row(self, key: ChannelKey, week: str) -> LedgerRow | None: ...

    async def rows(self, key: ChannelKey | None = None) -> list[LedgerRow]: ...

    async def statuses(self, weeks: Iterable[str]) -> dict[tuple[str, str, str, str], str]: ...

    async def set_ref(self, key: ChannelKey, week: str, ref: str) -> None:
        """Learn a message's id after the fact (a poll press on a nudge whose send outcome was unknown)."""
        ...

    async def vote(self, key: ChannelKey, week: str, user_id: str, choice: str, now: datetime) -> str | None:
        """One vote per person per nudge; a second press changes it. Returns the previous choice, if any."""
        ...

    async def counts(self, key: ChannelKey, week: str) -> dict[str, int]: ...

    async def purge(self, now: datetime | None = None) -> dict[str, int]: ...

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        """Forget me: delete the person's votes; scrub their name from subscriptions (those belong to the channel)."""
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
        self.votes: dict[
            tuple[ChannelKey, str, str], tuple[str, datetime]
        ] = {}  # (channel, week, user) -> (choice, when)
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

    async def turn_off(self, key: ChannelKey, now: datetime) -> bool:
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

    async def vote(self, key: ChannelKey, week: str, user_id: str, choice: str, now: datetime) -> str | None:
        before = self.votes.get((key, week, user_id))
        self.votes[(key, week, user_id)] = (choice, now)
        return before[0] if before else None

    async def counts(self, key: ChannelKey, week: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for (k, w, _user), (choice, _when) in self.votes.items():
            if (k, w) == (key, week):
                out[choice] = out.get(choice, 0) + 1
        return out

    async def purge(self, now: datetime | None = None) -> dict[str, int]:
        now = now or _now()
        old_votes = [k for k, (_, when) in self.votes.items() if when < now - VOTES_KEPT]
        for k in old_votes:
            del self.votes[k]
        return {"nudge_votes": len(old_votes), "nudge_deliveries": 0}  # a test fills the ledger by hand; it keeps it

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        mine = [k for k in self.votes if k[0][:2] == (platform, workspace_id) and k[2] == user_id]
        for k in mine:
            del self.votes[k]
        named = [k for k, s in self.subs.items() if k[:2] == (platform, workspace_id) and s.turned_on_by == user_id]
        for k in named:
            self.subs[k] = replace(self.subs[k], turned_on_by=None, turned_on_by_name=None)
        return len(mine) + len(named)
