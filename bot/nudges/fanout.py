"""The weekly fan-out: `NudgeSender.send_due(now, messengers)`.

Called every minute by `leadbot serve` and on demand by `leadbot nudge
send-due`, in any number of processes at once. Each channel-week moves
through the ledger (`dialogs.nudges.store.NudgeLedger`, in SQL:
`bot.storage.nudge_store`) like this:

    (no row) --claim--> sending --sent--> sent
                           |  \\--gone--> failed (+ subscription paused)
                           |   \\--throttled / failed--> retry --(time comes)--> sending ...
                           |                               \\--(day ends / too many)--> failed
                           \\--no answer / lease expires--> unknown
                                   --(look it up, if the platform can)--> sent | sending (it never arrived) | unknown (final)
    (no row) --day over, never claimed--> skipped         (no late nudges)
    (no row) --no working day left in the week--> skipped

Nothing that has ever been 'sending' is posted again unless the platform has
said it did not arrive: a throttle or an error answer, or a lookup that found
nothing. Process memory only paces the calls; the database decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.delivery import Delivery, Lookup, Messenger, Reconciler, Target
from bot.metrics import Metrics
from bot.nudges.batching import Batcher
from dialogs.content_loader import Content
from dialogs.nudges.render import DEFAULT_MIN_VOTES, nudge_token, render_nudge
from dialogs.nudges.rotation import channel_seed, pick
from dialogs.nudges.schedule import add_weeks, local_instant, slot_at
from dialogs.nudges.store import ChannelKey, Claim, NudgeLedger, Result, Subscription
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claim still 'sending' after this belongs to a process that died
SETTLE = timedelta(minutes=2)  # after a post that got no answer, wait this long before looking it up
HISTORY_WEEKS = 53
LATER = -1.0  # "retry in a later run", from _attempt


@dataclass
class Limits:
    """How hard to push each platform. Real limits: Slack ~1 message/s per channel plus workspace-wide
    limits; Teams ~7 messages/s per conversation and per-tenant limits. A 429 holds back the whole workspace."""

    per_platform: dict[str, int] = field(default_factory=lambda: {"slack": 48, "teams": 48})
    default: int = 16
    per_workspace: int = 4
    post_timeout: float = 60.0  # a post taking longer is an unknown outcome; must stay well under LEASE
    in_run_wait: float = 60.0  # a Retry-After shorter than this is waited for in the same run
    max_failed_attempts: int = 8
    backoff_base: float = 60.0
    backoff_cap: float = 1800.0
    batch: int = 100  # claims or results written in one transaction

    def concurrency(self, platform: str) -> int:
        return self.per_platform.get(platform, self.default)

    def backoff(self, attempts: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1))


@dataclass
class RunReport:
    due: int = 0  # channel-weeks this run tried to settle (new, retry, lookup)
    sent: int = 0
    failed: int = 0
    retrying: int = 0  # left in 'retry' for a later run (backoff longer than this run waits)
    skipped: int = 0
    paused: int = 0
    unknown: int = 0
    expired: int = 0  # claims of dead processes found and turned into 'unknown'
    elsewhere: int = 0  # claimed or settled by another process first
    stopped: int = 0  # not started because the process is shutting down
    errors: int = 0  # the database went away mid-job; the ledger keeps the row safe
    no_messenger: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.retrying or self.stopped or self.errors or self.no_messenger)

    def lines(self) -> list[str]:
        out = [
            f"due {self.due}: sent {self.sent}, failed {self.failed}, retrying later {self.retrying}, paused {self.paused}, "
            f"unknown {self.unknown}, skipped {self.skipped}, handled by another process {self.elsewhere}"
        ]
        for platform, n in sorted(self.no_messenger.items()):
            out.append(f"{n} due on {platform} left for later: no {platform} messenger is configured in this process")
        if self.stopped:
            out.append(f"{self.stopped} not started: shutting down")
        if self.errors:
            out.append(f"{self.errors} interrupted: the database could not be reached")
        return out


@dataclass
class Job:
    sub: Subscription
    week: str
    kind: str  # "new" | "retry" | "reconcile"
    due_at: datetime | None = None
    day_ends_at: datetime | None = None

    @property
    def key(self) -> ChannelKey:
        return self.sub.key


class _Clock:
    """The run's notion of now: the given instant plus the time the run has taken."""

    def __init__(self, start: datetime):
        self.start = start
        self.t0 = asyncio.get_running_loop().time()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=asyncio.get_running_loop().time() - self.t0)


class _Run:
    def __init__(
        self,
        store: NudgeLedger,
        messengers: dict[str, Messenger],
        limits: Limits,
        now: datetime,
        stop: asyncio.Event | None,
    ):
        self.claims: Batcher[Claim, str | None] = Batcher(store.claim_many, limits.batch)
        self.results: Batcher[Result, None] = Batcher(store.record_many, limits.batch)
        self.messengers = messengers
        self.limits = limits
        self.clock = _Clock(now)
        self.stop = stop or asyncio.Event()
        self.report = RunReport()
        self.platform_sems = {p: asyncio.Semaphore(limits.concurrency(p)) for p in messengers}
        self.workspace_sems: dict[tuple[str, str], asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(limits.per_workspace)
        )
        self.holds: dict[tuple[str, str], float] = {}

    def hold(self, platform: str, workspace_id: str, seconds: float) -> None:
        """A 429 for one channel means the workspace is over its limit: hold every post to it."""
        loop = asyncio.get_running_loop()
        key = (platform, workspace_id)
        self.holds[key] = max(self.holds.get(key, 0.0), loop.time() + seconds)

    @contextlib.asynccontextmanager
    async def slot(self, platform: str, workspace_id: str):
        async with self.workspace_sems[(platform, workspace_id)]:
            loop = asyncio.get_running_loop()
            while (wait := self.holds.get((platform, workspace_id), 0.0) - loop.time()) > 0:
                await self.sleep(wait)
            async with self.platform_sems[platform]:
                yield

    async def sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=max(0.0, seconds))


class NudgeSender:
    def __init__(
        self,
        store: NudgeLedger,
        content: Content,
        metrics: Metrics | None = None,
        limits: Limits | None = None,
        min_votes: int = DEFAULT_MIN_VOTES,
    ):
        self.store = store
        self.content = content
        self.min_votes = min_votes  # the new nudge says after how many votes its results appear
        self.metrics = metrics
        self.limits = limits or Limits()

    def _count(self, platform: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.nudges.labels(platform, outcome).inc()

    # --- planning -------------------------------------------------------------

    async def plan(self, now: datetime) -> tuple[list[Job], RunReport]:
        """Settle what time alone decides (dead claims, ended days, missed weeks) and list the sends due."""
        report = RunReport()
        report.expired = len(await self.store.expire_leases(now))
        for platform in await self.store.close_day(now):
            report.failed += 1
            self._count(platform, "failed")
        subs = await self.store.subscriptions(active_only=True)
        slots = {sub.key: (slot_at(sub.schedule, now, 1), slot_at(sub.schedule, now)) for sub in subs}
        known = await self.store.statuses({s.week for pair in slots.values() for s in pair})
        jobs: list[Job] = []
        for sub in subs:
            for slot in slots[sub.key]:
                if (*sub.key, slot.week) in known:
                    continue
                job = await self._consider(sub, slot, now, report)
                if job is not None:
                    jobs.append(job)
        active = {sub.key: sub for sub in subs}
        for row in await self.store.pending(now):
            sub = active.get(row.key)
            if sub is not None:  # turned off or paused since: the row is left to close with its day
                jobs.append(
                    Job(sub, row.week, "retry" if row.status == "retry" else "reconcile", row.due_at, row.day_ends_at)
                )
        return jobs, report

    async def _consider(self, sub: Subscription, slot, now: datetime, report: RunReport) -> Job | None:
        on_since = sub.turned_on_at
        if not slot.sendable:
            # No working day left in that week: record it once its scheduled time has passed.
            nominal = local_instant(slot.nominal, sub.schedule.local_time, sub.schedule.tz)
            if now >= nominal and (on_since is None or on_since <= nominal):
                await self._skip(sub, slot.week, "no_working_day", None, None, now, report)
            return None
        if on_since is not None and on_since > slot.due_at:
            return None  # turned on after this week's time: the first nudge is next week
        if now < slot.due_at:
            return None
        if now >= slot.day_ends_at:
            await self._skip(sub, slot.week, "missed_day", slot.due_at, slot.day_ends_at, now, report)
            return None
        return Job(sub, slot.week, "new", slot.due_at, slot.day_ends_at)

    async def _skip(self, sub, week, reason, due_at, day_ends_at, now, report) -> None:
        if await self.store.skip(sub.key, week, reason, due_at, day_ends_at, now):
            report.skipped += 1
            self._count(sub.platform, "skipped")
            log.info("nudge week skipped", extra={"platform": sub.platform, "week": week, "reason": reason})

    # --- sending -----------------------------------------------------------------

    async def send_due(
        self, now: datetime, messengers: dict[str, Messenger], stop: asyncio.Event | None = None
    ) -> RunReport:
        """Send every nudge due at or before `now` and not yet sent this week. Safe to run anywhere, any time, at once."""
        jobs, report = await self.plan(now)
        run = _Run(self.store, messengers, self.limits, now, stop)
        run.report = report
        ready = []
        for job in jobs:
            if job.sub.platform in messengers:
                ready.append(job)
            else:
                report.no_messenger[job.sub.platform] = report.no_messenger.get(job.sub.platform, 0) + 1
        report.due = len(ready)
        try:
            await asyncio.gather(*(self._job(run, job) for job in _interleave(ready)))
        finally:
            await run.claims.close()
            await run.results.close()
        log.info(
            "nudge run",
            extra={
                "due": report.due,
                "sent": report.sent,
                "failed": report.failed,
                "retrying": report.retrying,
                "paused": report.paused,
                "unknown": report.unknown,
                "skipped": report.skipped,
                "elsewhere": report.elsewhere,
            },
        )
        return report

    async def _job(self, run: _Run, job: Job) -> None:
        kind = job.kind
        try:
            while True:
                async with run.slot(job.sub.platform, job.sub.workspace_id):
                    if run.stop.is_set():
                        run.report.stopped += 1
                        return
                    wait = await self._attempt(run, job, kind)
                if wait is None:
                    return
                if wait == LATER or wait > run.limits.in_run_wait or run.stop.is_set():
                    run.report.retrying += 1
                    self._count(job.sub.platform, "retry")
                    return
                await run.sleep(wait + 0.01)
                kind = "retry"
        except StoreUnavailable:
            run.report.errors += 1
            log.warning(
                "database unavailable during a nudge send; the ledger keeps the week safe",
                extra={"platform": job.sub.platform},
            )
        except Exception:
            run.report.errors += 1
            log.exception("nudge job failed", extra={"platform": job.sub.platform})

    async def _attempt(self, run: _Run, job: Job, kind: str) -> float | None:
        """Claim, send and record once. Returns seconds until a retry is due, or None when settled."""
        key, week, messenger = job.key, job.week, run.messengers[job.sub.platform]
        target = Target(platform=job.sub.platform, workspace_id=job.sub.workspace_id, channel_id=job.sub.channel_id)
        token = uuid.uuid4().hex
        now = run.clock.now()
        nudges = list(self.content.nudges.values())
        seed = channel_seed(*key)

        if kind == "new":
            nudge_id = await run.claims.submit(
                Claim(
                    key,
                    week,
                    lambda history: pick(nudges, history, week, seed).id,
                    add_weeks(week, -HISTORY_WEEKS),
                    job.due_at,
                    job.day_ends_at,
                    token,
                    now + LEASE,
                    now,
                )
            )
            if nudge_id is None:
                run.report.elsewhere += 1
                return None
            attempts = 1
        else:
            row = await self.store.reclaim(
                key, week, "retry" if kind == "retry" else "unknown", token, now + LEASE, now
            )
            if row is None:
                run.report.elsewhere += 1
                return None
            nudge_id, attempts = row.nudge_id, row.attempts
            if kind == "reconcile":
                found = await self._lookup(run, messenger, target, week)
                if found.found is True:
                    await run.results.submit(Result(key, week, token, "sent", run.clock.now(), ref=found.ref))
                    run.report.sent += 1
                    self._count(target.platform, "sent")
                    log.info("unknown nudge found on the platform", extra={"platform": target.platform, "week": week})
                    return None
                if found.found is None:
                    await run.results.submit(Result(key, week, token, "unknown", run.clock.now(), error="unverifiable"))
                    run.report.unknown += 1
                    self._count(target.platform, "unknown")
                    return None
                log.info("unknown nudge never arrived; sending it", extra={"platform": target.platform, "week": week})

        nudge = self.content.nudges.get(nudge_id or "")
        if nudge is None:  # content changed under a retry
            history = await self.store.history(key, add_weeks(week, -HISTORY_WEEKS))
            nudge = pick(nudges, [h for h in history if h[0] != week], week, seed)
        delivery = await self._post(
            run,
            messenger,
            target,
            render_nudge(self.content, nudge, week, language=job.sub.schedule.language, min_votes=self.min_votes),
        )
        return await self._settle(run, job, token, nudge.id, attempts, delivery, _can_find(messenger))

    async def _lookup(self, run: _Run, messenger: Messenger, target: Target, week: str) -> Lookup:
        if not _can_find(messenger):
            return Lookup(found=None)
        try:
            return await asyncio.wait_for(messenger.find(target, nudge_token(week)), run.limits.post_timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("nudge lookup failed", extra={"platform": target.platform, "error": type(exc).__name__})
            return Lookup(found=None)

    async def _post(self, run: _Run, messenger: Messenger, target: Target, reply) -> Delivery:
        try:
            return await asyncio.wait_for(messenger.post(target, reply), run.limits.post_timeout)
        except TimeoutError:
            return Delivery(outcome="unknown", detail="timeout")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("messenger raised", extra={"platform": target.platform, "error": type(exc).__name__})
            return Delivery(outcome="unknown", detail="exception")

    async def _settle(
        self, run: _Run, job: Job, token: str, nudge_id: str, attempts: int, d: Delivery, can_find: bool
    ) -> float | None:
        key, week, platform = job.key, job.week, job.sub.platform
        now = run.clock.now()
        code = (d.detail or d.outcome)[:64]
        if d.outcome == "sent":
            await run.results.submit(Result(key, week, token, "sent", now, nudge_id=nudge_id, ref=d.ref))
            run.report.sent += 1
            self._count(platform, "sent")
            return None
        if d.outcome == "gone":
            await run.results.submit(Result(key, week, token, "failed", now, nudge_id=nudge_id, error=code))
            await self.store.pause(key, code, now)
            run.report.paused += 1
            self._count(platform, "paused")
            log.info("channel gone; nudges paused", extra={"platform": platform, "reason": code})
            return None
        if d.outcome == "unknown":
            # Never re-sent blindly: looked up later if the platform can tell, otherwise counted as sent.
            await run.results.submit(
                Result(
                    key,
                    week,
                    token,
                    "unknown",
                    now,
                    nudge_id=nudge_id,
                    error=code,
                    next_attempt_at=now + SETTLE if can_find else None,
                )
            )
            run.report.unknown += 1
            if not can_find:  # otherwise counted once the lookup settles it
                self._count(platform, "unknown")
            log.warning("nudge outcome unknown", extra={"platform": platform, "reason": code})
            return None
        if d.outcome == "failed" and attempts >= run.limits.max_failed_attempts:
            await run.results.submit(Result(key, week, token, "failed", now, nudge_id=nudge_id, error=code))
            run.report.failed += 1
            self._count(platform, "failed")
            log.warning("nudge failed", extra={"platform": platform, "reason": code, "attempts": attempts})
            return None
        if d.outcome == "throttled" and d.retry_after is not None:
            # The platform said when: wait that long, holding the whole workspace, and try again in this run.
            wait = max(0.0, float(d.retry_after))
            run.hold(platform, job.sub.workspace_id, wait)
            in_run = wait
        else:
            # An error answer: back off (1, 2, 4... minutes) and leave it to whichever run comes next.
            wait = run.limits.backoff(attempts)
            in_run = LATER
        await run.results.submit(
            Result(
                key,
                week,
                token,
                "retry",
                now,
                nudge_id=nudge_id,
                error=code,
                next_attempt_at=now + timedelta(seconds=wait),
            )
        )
        return in_run


def _can_find(messenger: Messenger) -> bool:
    return isinstance(messenger, Reconciler) and callable(getattr(messenger, "find", None))


def _interleave(jobs: list[Job]) -> list[Job]:
    """Round-robin over workspaces, so one big workspace does not hold up everyone else's nudges."""
    by_ws: dict[tuple[str, str], list[Job]] = defaultdict(list)
    for job in jobs:
        by_ws[(job.sub.platform, job.sub.workspace_id)].append(job)
    queues = list(by_ws.values())
    out: list[Job] = []
    i = 0
    while len(out) < len(jobs):
        for q in queues:
            if i < len(q):
                out.append(q[i])
        i += 1
    return out


__all__ = ["LEASE", "SETTLE", "Limits", "NudgeSender", "RunReport"]
