"""What the adapters and the CLI call for nudges: commands, poll presses, previews and `send_due`.

An adapter turns `/leadbot nudge ...` (Slack) or `@leadbot nudge ...` (Teams)
into an `Inbound` whose key's conversation_id is the channel, and calls
`handle_command`; a poll button press (`is_poll_value(choice.value)`) goes to
`handle_vote`. Both return `Reply` objects to show to that person only
(ephemeral in Slack). The channel's message is updated with the new counts
through the platform's Messenger.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.delivery import Messenger, Target
from bot.metrics import Metrics
from bot.nudges.engine import Limits, NudgeSender, RunReport
from bot.nudges.store import MAY_HAVE_GONE, ChannelKey, NudgeStore, Subscription
from dialogs.content_loader import Content
from dialogs.content_schema import Nudge
from dialogs.models import Inbound, Reply
from dialogs.nudges import commands
from dialogs.nudges.render import is_poll_value, parse_poll_value, poll_closed, render_nudge, vote_ack
from dialogs.nudges.rotation import channel_seed, plan
from dialogs.nudges.schedule import Schedule, Slot, current_week, next_slot, week_index
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
POLL_OPEN_WEEKS = 1  # a poll takes votes in its own week and the next (a Friday nudge, voted on on Monday)
UNAVAILABLE = "Sorry, I can't reach my records right now. Please try again in a minute."


def _now() -> datetime:
    return datetime.now(timezone.utc)


def channel_of(inbound: Inbound) -> ChannelKey:
    """The channel a command or press came from. A Teams message in a channel thread has the
    conversation id "19:...@thread.tacv2;messageid=..."; nudges belong to the channel itself."""
    key = inbound.key
    conversation = key.conversation_id.split(";messageid=", 1)[0] if key.platform == "teams" else key.conversation_id
    return (key.platform, key.workspace_id, conversation)


@dataclass
class Upcoming:
    slot: Slot
    nudge: Nudge


class NudgeService:
    def __init__(
        self, content: Content, store: NudgeStore, default_timezone: str = "Europe/London", metrics: Metrics | None = None,
        messengers: dict[str, Messenger] | None = None, events=None, limits: Limits | None = None,
    ):
        self.content = content
        self.store = store
        self.default = Schedule(timezone=default_timezone)
        self.metrics = metrics
        self.messengers = {} if messengers is None else messengers  # the caller's dict: platforms add theirs as they start
        self.events = events  # a dialogs Store with claim_event, to drop a platform's repeated deliveries
        self.sender = NudgeSender(store, content, metrics, limits)
        self._refreshing: set[tuple] = set()
        self._dirty: set[tuple] = set()

    @classmethod
    def from_services(cls, services, metrics: Metrics | None = None, messengers: dict[str, Messenger] | None = None) -> "NudgeService":
        return cls(services.content, NudgeStore(services.db), services.settings.timezone, metrics, messengers, services.store)

    # --- the weekly fan-out ---------------------------------------------------------

    async def send_due(self, now: datetime, messengers: dict[str, Messenger] | None = None, stop: asyncio.Event | None = None) -> RunReport:
        return await self.sender.send_due(now, self.messengers if messengers is None else messengers, stop)

    # --- rotation and previews --------------------------------------------------------

    async def upcoming(self, key: ChannelKey, schedule: Schedule, now: datetime, weeks_ahead: int = 0) -> Upcoming:
        """The nudge this channel will get next (or `weeks_ahead` nudges later), as the sender would pick it."""
        rows = {r.week: r for r in await self.store.rows(key)}
        slot = next_slot(schedule, now)
        while slot.week in rows:  # this week's is already settled
            slot = next_slot(schedule, slot.day_ends_at)
        history = [(w, r.nudge_id) for w, r in rows.items() if r.nudge_id and r.status in MAY_HAVE_GONE]
        nudges = list(self.content.nudges.values())
        planned = plan(nudges, history, slot.week, weeks_ahead + 1, channel_seed(*key))
        for _ in range(weeks_ahead):
            slot = next_slot(schedule, slot.day_ends_at)
        return Upcoming(slot, planned[-1][1])

    # --- what an adapter calls -----------------------------------------------------------

    @staticmethod
    def concerns(inbound: Inbound) -> bool:
        """Is this a poll press or a `nudge ...` command? (No I/O: adapters ask before anything else.)"""
        if inbound.choice is not None:
            return is_poll_value(inbound.choice.value)
        return commands.is_nudge_command(inbound.text)

    async def handle(
        self, inbound: Inbound, message_ref: str | None = None, now: datetime | None = None, in_channel: bool = True, prefix: str = ""
    ) -> list[Reply] | None:
        """The nudge part of a turn: a poll press or a `nudge ...` command gets replies (for that person
        only); anything else gets None, and the adapter hands it to the conversation service as usual.
        `in_channel` is False in a direct message or personal chat, where nudges cannot be turned on;
        `prefix` is how people address the bot on that platform ("/leadbot ", "@leadbot ")."""
        if not self.concerns(inbound):
            return None
        if inbound.choice is not None:
            return await self.handle_vote(inbound, message_ref, now)
        replies = await self.handle_command(inbound, now) if in_channel else [commands.channel_only_reply()]
        return [commands.addressed(r, prefix) for r in replies]

    # --- commands -------------------------------------------------------------------------

    async def handle_command(self, inbound: Inbound, now: datetime | None = None) -> list[Reply]:
        """`nudge on|off|` from a channel. Replies go to the person who typed it."""
        now = now or _now()
        key = inbound.key
        channel = channel_of(inbound)
        parsed = commands.parse(inbound.text or "")
        if isinstance(parsed, commands.CommandError):
            return [commands.error_reply(parsed)]
        try:
            if not await self._first_delivery(inbound):
                return []
            if parsed.action == "off":
                was_on = await self.store.turn_off(channel, now)
                log.info("nudges turned off", extra={"platform": key.platform, "event": "nudge_off", "changed": was_on})
                return [commands.turned_off_reply(was_on)]
            existing = await self.store.subscription(channel)
            if parsed.action == "status":
                return await self._status(channel, existing, now)
            base = existing.schedule if existing else self.default
            schedule = Schedule(
                weekday=base.weekday if parsed.weekday is None else parsed.weekday,
                local_time=parsed.local_time or base.local_time,
                timezone=parsed.timezone or base.timezone,
                region=parsed.region or base.region,
            )
            updated = await self.store.turn_on(channel, schedule, key.user_id, inbound.user_name, now)
            log.info("nudges turned on", extra={"platform": key.platform, "event": "nudge_on", "updated": updated})
            first = await self.upcoming(channel, schedule, now)
            return [commands.turned_on_reply(schedule, first.slot, updated)]
        except StoreUnavailable:
            return [Reply(kind="error", lines=[UNAVAILABLE])]

    async def _first_delivery(self, inbound: Inbound) -> bool:
        if not inbound.event_id or self.events is None:
            return True
        return await self.events.claim_event(inbound.key.platform, inbound.key.workspace_id, inbound.event_id)

    async def _status(self, channel: ChannelKey, sub: Subscription | None, now: datetime) -> list[Reply]:
        schedule = sub.schedule if sub else self.default
        next_up = await self.upcoming(channel, schedule, now)
        status = None
        if sub is not None:
            status = commands.Status(
                enabled=sub.enabled, schedule=sub.schedule, turned_on_by_name=sub.turned_on_by_name, turned_on_at=sub.turned_on_at,
                paused_at=sub.paused_at, paused_reason=sub.paused_reason, next_slot=next_up.slot,
            )
        preview = render_nudge(self.content, next_up.nudge, next_up.slot.week, preview=True)
        return [commands.status_reply(status, self.default), preview]

    # --- poll presses ------------------------------------------------------------------------

    async def handle_vote(self, inbound: Inbound, message_ref: str | None = None, now: datetime | None = None) -> list[Reply]:
        """A poll button: record one vote per person (changeable), then show the new counts on the channel's message.

        `message_ref` is the pressed message's id (Slack container.message_ts, Teams replyToId) when the
        adapter has it; it fills in the ledger if the send's own answer was lost.
        """
        now = now or _now()
        press = parse_poll_value(inbound.choice.value if inbound.choice else "")
        if press is None:
            return [poll_closed()]
        key = inbound.key
        channel = channel_of(inbound)
        try:
            row = await self.store.row(channel, press.week)
            current = current_week(Schedule(timezone=self.default.timezone), now)
            closed = not 0 <= week_index(current) - week_index(press.week) <= POLL_OPEN_WEEKS
            if row is None or row.status not in ("sent", "unknown") or closed:
                return [poll_closed()]
            before = await self.store.vote(channel, press.week, key.user_id, press.option, now)
            if message_ref and not row.message_ref:
                await self.store.set_ref(channel, press.week, message_ref)
            ref = row.message_ref or message_ref
            if ref:
                await self.refresh_poll(channel, press.week, row.nudge_id, ref)
        except StoreUnavailable:
            return [Reply(kind="error", lines=[UNAVAILABLE])]
        log.info("poll vote", extra={"platform": key.platform, "event": "nudge_vote", "changed": before is not None and before != press.option})
        return [vote_ack(press.option, changed=before is not None and before != press.option)]

    async def refresh_poll(self, channel: ChannelKey, week: str, nudge_id: str | None, ref: str) -> None:
        """Put the current counts on the channel's message. Votes arriving meanwhile are folded into one more update,
        and the counts are read again after each update so that the last update carries the final counts."""
        messenger = self.messengers.get(channel[0])
        nudge = self.content.nudges.get(nudge_id or "")
        if messenger is None or nudge is None:
            return
        k = (channel, week)
        if k in self._refreshing:
            self._dirty.add(k)
            return
        self._refreshing.add(k)
        target = Target(platform=channel[0], workspace_id=channel[1], channel_id=channel[2])
        try:
            counts = await self.store.counts(channel, week)
            while True:
                self._dirty.discard(k)
                delivery = await messenger.update(target, ref, render_nudge(self.content, nudge, week, counts=counts))
                if delivery.outcome != "sent":
                    log.info("poll update not delivered", extra={"platform": channel[0], "outcome": delivery.outcome})
                    if delivery.outcome == "throttled" and delivery.retry_after:
                        await asyncio.sleep(min(delivery.retry_after, 30))
                        self._dirty.add(k)
                latest = await self.store.counts(channel, week)
                if latest == counts and k not in self._dirty:
                    return
                counts = latest
        finally:
            self._refreshing.discard(k)

    # --- admin ------------------------------------------------------------------------------

    async def listing(self, now: datetime) -> list[tuple[Subscription, Slot | None, str | None]]:
        """Every subscription with its next due slot and this week's ledger status."""
        subs = await self.store.subscriptions()
        weeks = {sub.key: current_week(sub.schedule, now) for sub in subs}
        known = await self.store.statuses(set(weeks.values()))
        out = []
        for sub in subs:
            slot, status = None, None
            if sub.active:
                status = known.get((*sub.key, weeks[sub.key]))
                slot = next_slot(sub.schedule, now)
                if status is not None and slot.week == weeks[sub.key]:
                    slot = next_slot(sub.schedule, slot.day_ends_at)
            out.append((sub, slot, status))
        return out

    def preview_for_new_channel(self, now: datetime, weeks_ahead: int = 0) -> tuple[str, Nudge]:
        week = next_slot(self.default, now).week
        planned = plan(list(self.content.nudges.values()), [], week, weeks_ahead + 1, channel_seed("preview", "-", "-"))
        return planned[-1]


__all__ = ["NudgeService", "Upcoming", "RunReport"]
