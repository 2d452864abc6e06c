"""`nudge on [day] [time] [timezone] [region]`, `nudge off` and `nudge`: parsing and the replies.

Platform-neutral: an adapter passes the text after its own prefix (`/leadbot
nudge on tuesday 10:00`, `@leadbot nudge off`) and shows the replies. Nothing
here touches storage; `dialogs.nudges.turns` does that and calls these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from dialogs.nudges.schedule import (
    REGION_NAMES,
    WEEKDAY_NAMES,
    Schedule,
    Slot,
    describe_date,
    describe_day,
    describe_time,
)
from dialogs.models import Reply

DAYS = {name.lower(): i for i, name in enumerate(WEEKDAY_NAMES)}
DAYS.update({name.lower() + "s": i for i, name in enumerate(WEEKDAY_NAMES)})  # "mondays"
DAYS.update({name[:3].lower(): i for i, name in enumerate(WEEKDAY_NAMES)})
DAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})
REGION_WORDS = {
    "england-and-wales": "england-and-wales",
    "england": "england-and-wales",
    "wales": "england-and-wales",
    "scotland": "scotland",
    "northern-ireland": "northern-ireland",
    "ni": "northern-ireland",
}
# The nudge's language: `nudge on cymraeg`, `nudge on english`, `nudge on bilingual`.
LANGUAGE_WORDS = {
    "cymraeg": "cy", "welsh": "cy", "cy": "cy",
    "english": "en", "saesneg": "en", "en": "en",
    "bilingual": "bilingual", "dwyieithog": "bilingual", "both": "bilingual",
}
LANGUAGE_DESCRIBED = {"en": "in English", "cy": "in Welsh", "bilingual": "in Welsh and English, Welsh first"}
TIME_24 = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
TIME_12 = re.compile(r"^(1[0-2]|0?[1-9])(?:[:.]([0-5]\d))?\s*(am|pm)$")
USAGE = (
    "Try 'nudge on' (Mondays at 09:00), 'nudge on tuesday 10:30', 'nudge on friday 2pm Europe/London scotland', "
    "'nudge on cymraeg' (or english, or bilingual for both, Welsh first), "
    "'nudge off', or just 'nudge' to see the schedule."
)
MAX_TOKENS = 8


@dataclass
class NudgeCommand:
    action: str  # "on", "off", "status"
    weekday: int | None = None
    local_time: time | None = None
    timezone: str | None = None
    region: str | None = None
    language: str | None = None  # "en", "cy" or "bilingual"


@dataclass
class CommandError:
    message: str


@dataclass
class Status:
    """What `nudge` shows: the stored subscription as the service read it."""

    enabled: bool
    schedule: Schedule
    turned_on_by_name: str | None = None
    turned_on_at: datetime | None = None
    paused_at: datetime | None = None
    paused_reason: str | None = None
    next_slot: Slot | None = None
    extra: list[str] = field(default_factory=list)


def is_nudge_command(text: str | None) -> bool:
    words = (text or "").strip().lower().split()
    return bool(words) and words[0] in ("nudge", "nudges")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def _timezone(token: str) -> str | None:
    name = _zones().get(token.lower())
    if name is None and token.upper() in ("UTC", "GMT"):
        name = "UTC"
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return None
    return name


def _time(token: str) -> time | None:
    m = TIME_24.match(token)
    if m:
        return time(int(m.group(1)), int(m.group(2)))
    m = TIME_12.match(token)
    if m:
        hour = int(m.group(1)) % 12 + (12 if m.group(3) == "pm" else 0)
        return time(hour, int(m.group(2) or 0))
    return None


def parse(text: str) -> NudgeCommand | CommandError:
    """Read a nudge command. Anything it cannot read gets a plain answer saying what would work."""
    raw = " ".join((text or "").split()).lower()
    raw = re.sub(r"\bnorthern ireland\b", "northern-ireland", raw)
    raw = re.sub(r"\bengland (and|&) wales\b", "england-and-wales", raw)
    raw = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", raw)
    words = raw.split()
    if not words or words[0] not in ("nudge", "nudges"):
        return CommandError(USAGE)
    words = words[1:]
    if not words or words[0] in ("status", "show", "next"):
        return NudgeCommand("status") if len(words) <= 1 else CommandError(USAGE)
    action, args = words[0], words[1:]
    if action == "off":
        return NudgeCommand("off") if not args else CommandError("'nudge off' takes nothing after it. " + USAGE)
    if action != "on":
        return CommandError(f"I don't know 'nudge {action[:30]}'. " + USAGE)
    if len(args) > MAX_TOKENS:
        return CommandError(USAGE)
    cmd = NudgeCommand("on")
    for token in args:
        if token in ("at", "on", "every", "in"):
            continue
        day = DAYS.get(token)
        if day is not None:
            if day >= 5:
                return CommandError("Nudges go out on working days, so please choose a day from Monday to Friday.")
            cmd.weekday = day
            continue
        at = _time(token)
        if at is not None:
            cmd.local_time = at
            continue
        if token in REGION_WORDS:
            cmd.region = REGION_WORDS[token]
            continue
        if token in LANGUAGE_WORDS:
            cmd.language = LANGUAGE_WORDS[token]
            continue
        zone = _timezone(token)
        if zone is not None:
            cmd.timezone = zone
            continue
        return CommandError(
            f"I couldn't read '{token[:40]}'. Give a day (Monday to Friday), a time such as 09:00 or 2pm, "
            "a timezone such as Europe/London, a region (England and Wales, Scotland or Northern Ireland), "
            "or a language: cymraeg, english or bilingual."
        )
    return cmd


# --- replies -------------------------------------------------------------------


def describe_schedule(schedule: Schedule) -> str:
    return (
        f"every {WEEKDAY_NAMES[schedule.weekday]} at {describe_time(schedule.local_time)} ({schedule.timezone}), "
        f"moved to the next working day after a bank holiday in {REGION_NAMES.get(schedule.region, schedule.region)}, "
        f"{LANGUAGE_DESCRIBED.get(schedule.language, LANGUAGE_DESCRIBED['en'])}"
    )


def describe_slot(slot: Slot, schedule: Schedule) -> str:
    assert slot.send_date is not None
    when = f"{describe_day(slot.send_date)} at {describe_time(schedule.local_time)}"
    if slot.moved_for and slot.send_date != slot.nominal:
        when += f" ({describe_day(slot.nominal)} is {slot.moved_for})"
    return when


def turned_on_reply(schedule: Schedule, first: Slot, updated: bool) -> Reply:
    lead = "Weekly nudges schedule updated for this channel" if updated else "Weekly nudges are on for this channel"
    return Reply(
        kind="notice",
        title="Weekly nudges",
        lines=[
            f"{lead}: {describe_schedule(schedule)}.",
            f"The next one is due on {describe_slot(first, schedule)}.",
            "Anyone here can type 'nudge' to see the schedule, or 'nudge off' to stop them.",
        ],
    )


def turned_off_reply(was_on: bool) -> Reply:
    if not was_on:
        return Reply(kind="notice", lines=["Weekly nudges weren't on in this channel, so there was nothing to turn off."])
    return Reply(kind="notice", lines=["Weekly nudges are off for this channel. Type 'nudge on' to start them again at any time."])


PAUSE_REASONS = {
    "channel_not_found": "the channel could not be found",
    "is_archived": "the channel was archived",
    "not_in_channel": "leadbot was removed from the channel",
    "gone": "leadbot can no longer post here",
}


def status_reply(status: Status | None, default: Schedule) -> Reply:
    if status is None or not status.enabled:
        schedule = status.schedule if status else default
        return Reply(
            kind="info",
            title="Weekly nudges",
            lines=[
                "Weekly nudges aren't on in this channel.",
                f"Type 'nudge on' to get a short leadership-or-management nudge {describe_schedule(schedule)}. "
                "You can choose another day, time, timezone or region, for example 'nudge on thursday 10:00 scotland'.",
            ],
        )
    lines = [f"Weekly nudges are on: {describe_schedule(status.schedule)}."]
    if status.paused_at is not None:
        why = PAUSE_REASONS.get(status.paused_reason or "", PAUSE_REASONS["gone"])
        lines.append(f"They have been paused since {describe_date(status.paused_at.date())} because {why}. Type 'nudge on' to start them again.")
    elif status.next_slot is not None:
        lines.append(f"The next one is due on {describe_slot(status.next_slot, status.schedule)}.")
    if status.turned_on_at is not None:
        who = status.turned_on_by_name or "a member of this channel"
        lines.append(f"Turned on by {who} on {describe_date(status.turned_on_at.date())}.")
    lines.extend(status.extra)
    return Reply(kind="info", title="Weekly nudges", lines=lines)


def channel_only_reply() -> Reply:
    return Reply(
        kind="info",
        title="Weekly nudges",
        lines=[
            "Weekly nudges are for a team's channel, so the whole team sees them and can vote in the poll.",
            "Type 'nudge on' in the channel you'd like them in (add me to it first if I'm not there yet).",
        ],
    )


def addressed(reply: Reply, prefix: str) -> Reply:
    """Our replies say "type 'nudge on'"; on a platform where the bot is addressed first
    ("/leadbot nudge on", "@leadbot nudge on"), say it that way."""
    if not prefix:
        return reply
    return reply.model_copy(update={"lines": [line.replace("'nudge", f"'{prefix}nudge") for line in reply.lines]})


def error_reply(error: CommandError) -> Reply:
    return Reply(kind="info", title="Weekly nudges", lines=[error.message])
