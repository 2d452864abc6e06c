"""A weekly-nudge command or a poll vote, as one turn over a `NudgeStore`.

An adapter hands every `Inbound` to the turn router (`bot.turns`), which asks
`NudgeTurns.concerns` first: `nudge on|off|` typed (after `/leadbot` or
`@leadbot`) or a poll button pressed. Both return replies for that person
only; a vote also returns the channel message whose counts need refreshing,
which the process side (`bot.nudges.polls`) does through the platform.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from dialogs import language
from dialogs.content_loader import Content
from dialogs.content_schema import Nudge
from dialogs.models import Inbound, Reply
from dialogs.nudges import commands
from dialogs.nudges.render import (
    BILINGUAL_ORDER,
    DEFAULT_MIN_VOTES,
    already_voted,
    is_poll_value,
    parse_poll_value,
    poll_closed,
    render_nudge,
    vote_ack,
)
from dialogs.nudges.rotation import channel_seed, plan
from dialogs.nudges.schedule import Schedule, Slot, current_week, next_slot, week_index
from dialogs.nudges.store import MAY_HAVE_GONE, POLL_OPEN_WEEKS, ChannelKey, NudgeStore, Subscription
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
# How people address the bot in a channel on each platform: our replies say "type '/leadbot nudge on'".
ADDRESSED_AS = {"slack": "/leadbot ", "teams": "@leadbot "}


class EventClaims(Protocol):
    """`dialogs.store.Store` has this: the first delivery of a platform event id wins."""

    async def claim_event(self, platform: str, workspace_id: str, event_id: str) -> bool: ...


def _now() -> datetime:
    return datetime.now(UTC)


def channel_of(inbound: Inbound) -> ChannelKey:
    """The channel a command or press came from. A Teams message in a channel thread has the
    conversation id "19:...@thread.tacv2;messageid=..."; nudges belong to the channel itself."""
    key = inbound.key
    conversation = key.conversation_id.split(";messageid=", 1)[0] if key.platform == "teams" else key.conversation_id
    return (key.platform, key.workspace_id, conversation)


@dataclass(frozen=True)
class PollRefresh:
    """The channel message that shows a poll, whose counts should now be shown again."""

    channel: ChannelKey
    week: str
    nudge_id: str | None
    ref: str
    language: str = "en"  # the channel's nudge language, to draw the message again in it


@dataclass
class NudgeResult:
    replies: list[Reply]
    event: str  # "nudge_on", "nudge_off", "nudge_status", "nudge_vote", "duplicate", "unavailable"...: never text
    refresh: PollRefresh | None = None
    vote: bool = False


@dataclass
class Upcoming:
    slot: Slot
    nudge: Nudge


@dataclass
class NudgeTurns:
    content: Content
    store: NudgeStore
    default_timezone: str = "Europe/London"
    default_language: str = "en"  # LEADBOT_LANGUAGE: a new channel's nudges, unless the command names one
    events: EventClaims | None = None  # to drop a platform's repeated deliveries of one command
    min_votes: int = DEFAULT_MIN_VOTES  # LEADBOT_POLL_MIN_VOTES: no counts are shown below it
    default: Schedule = field(init=False)

    def __post_init__(self) -> None:
        self.default = Schedule(timezone=self.default_timezone, language=self.default_language)

    # --- what the router asks --------------------------------------------------------

    @staticmethod
    def concerns(inbound: Inbound) -> bool:
        """Is this a poll press or a `nudge ...` command? No I/O: the router asks before anything else."""
        if inbound.choice is not None:
            return is_poll_value(inbound.choice.value)
        return commands.is_nudge_command(inbound.text)

    async def handle(self, inbound: Inbound, now: datetime | None = None) -> NudgeResult:
        """A poll press or a `nudge ...` command (see `concerns`). In a direct message or personal
        chat nudges cannot be turned on, and the person is told where they can."""
        if inbound.choice is not None:
            return await self.vote(inbound, now)
        if not inbound.in_channel:
            words = self._words(self._guess(inbound))
            result = NudgeResult([commands.in_languages(words, commands.channel_only_reply)], "nudge_elsewhere")
        else:
            result = await self.command(inbound, now)
        prefix = ADDRESSED_AS.get(inbound.key.platform, "")
        result.replies = [commands.addressed(r, prefix) for r in result.replies]
        return result

    # --- commands ---------------------------------------------------------------------

    async def command(self, inbound: Inbound, now: datetime | None = None) -> NudgeResult:
        """`nudge on|off|` from a channel. Replies go to the person who typed it."""
        now = now or _now()
        channel = channel_of(inbound)
        parsed = commands.parse(inbound.text or "")
        if isinstance(parsed, commands.CommandError):
            words = self._words(self._guess(inbound))
            return NudgeResult(
                [commands.in_languages(words, lambda c: commands.error_reply(c, parsed))], "nudge_unclear"
            )
        try:
            if not await self._first_delivery(inbound):
                return NudgeResult([], "duplicate")
            existing = await self.store.subscription(channel)
            if parsed.action == "off":
                was_on = await self.store.turn_off(channel, now, inbound.key.user_id)
                words = self._words(existing.schedule.language if existing else self._guess(inbound))
                return NudgeResult(
                    [commands.in_languages(words, lambda c: commands.turned_off_reply(c, was_on))], "nudge_off"
                )
            if parsed.action == "status":
                return NudgeResult(await self._status(channel, existing, now), "nudge_status")
            base = existing.schedule if existing else self.default
            schedule = Schedule(
                weekday=base.weekday if parsed.weekday is None else parsed.weekday,
                local_time=parsed.local_time or base.local_time,
                timezone=parsed.timezone or base.timezone,
                region=parsed.region or base.region,
                language=parsed.language or base.language,
            )
            updated = await self.store.turn_on(channel, schedule, inbound.key.user_id, inbound.user_name, now)
            first = await self.upcoming(channel, schedule, now)
            words = self._words(schedule.language)
            return NudgeResult(
                [commands.in_languages(words, lambda c: commands.turned_on_reply(c, schedule, first.slot, updated))],
                "nudge_on",
            )
        except StoreUnavailable:
            return NudgeResult(
                [commands.in_languages(self._words(self._guess(inbound)), commands.unavailable_reply)], "unavailable"
            )

    def _words(self, language: str) -> list[Content]:
        """The content to answer in: a channel's nudge language, both (Welsh first) when it is bilingual."""
        if language == "bilingual":
            return [self.content.in_language(code) for code in BILINGUAL_ORDER]
        return [self.content.in_language(language)]

    def _guess(self, inbound: Inbound) -> str:
        """Before the channel's language is known: a Welsh locale, else the organisation's default."""
        return language.fallback(stored=None, locale=inbound.locale, default=self.default.language)

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
                enabled=sub.enabled,
                schedule=sub.schedule,
                turned_on_by_name=sub.turned_on_by_name,
                turned_on_at=sub.turned_on_at,
                paused_at=sub.paused_at,
                paused_reason=sub.paused_reason,
                next_slot=next_up.slot,
            )
        preview = render_nudge(
            self.content,
            next_up.nudge,
            next_up.slot.week,
            preview=True,
            language=schedule.language,
            min_votes=self.min_votes,
        )
        words = self._words(schedule.language)
        return [commands.in_languages(words, lambda c: commands.status_reply(c, status, self.default)), preview]

    # --- poll votes -------------------------------------------------------------------

    async def vote(self, inbound: Inbound, now: datetime | None = None) -> NudgeResult:
        """A poll button: one vote per person, never changed; the channel's message is then to show the new counts
        (once there are enough of them).

        `inbound.message_ref` is the pressed message's id (Slack's message ts, Teams' replyToId) when the
        platform sends it; it fills in the ledger if the send's own answer was lost.
        """
        now = now or _now()
        press = parse_poll_value(inbound.choice.value if inbound.choice else "")
        if press is None:
            return NudgeResult([poll_closed(self.content)], "nudge_vote_closed", vote=True)
        channel = channel_of(inbound)
        message_ref = inbound.message_ref
        try:
            sub = await self.store.subscription(channel)
            channel_language = sub.schedule.language if sub else self.default.language
            words = self.content.in_language("cy" if channel_language == "bilingual" else channel_language)
            row = await self.store.row(channel, press.week)
            current = current_week(Schedule(timezone=self.default.timezone), now)
            closed = not 0 <= week_index(current) - week_index(press.week) <= POLL_OPEN_WEEKS
            if row is None or row.status not in ("sent", "unknown") or closed:
                return NudgeResult([poll_closed(words)], "nudge_vote_closed", vote=True)
            counted = await self.store.vote(channel, press.week, inbound.key.user_id, press.option, now)
            if message_ref and not row.message_ref:
                await self.store.set_ref(channel, press.week, message_ref)
        except StoreUnavailable:
            return NudgeResult(
                [commands.unavailable_reply(self.content.in_language(self._guess(inbound)))], "unavailable", vote=True
            )
        if not counted:
            return NudgeResult([already_voted(words)], "nudge_vote_again", vote=True)
        ref = row.message_ref or message_ref
        refresh = PollRefresh(channel, press.week, row.nudge_id, ref, channel_language) if ref else None
        return NudgeResult([vote_ack(words, press.option)], "nudge_vote", refresh, vote=True)

    # --- what comes next ----------------------------------------------------------------

    async def upcoming(self, key: ChannelKey, schedule: Schedule, now: datetime, weeks_ahead: int = 0) -> Upcoming:
        """The nudge this channel will get next (or `weeks_ahead` nudges later), as the fan-out would pick it."""
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

    async def listing(self, now: datetime) -> list[tuple[Subscription, Slot | None, str | None]]:
        """Every subscription with its next due slot and this week's ledger status (`leadbot nudge list`)."""
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
