"""`nudge on [day] [time] [timezone] [region]`, `nudge off` and `nudge`: parsing and the replies.

Platform-neutral: an adapter passes the text after its own prefix (`/leadbot
nudge on tuesday 10:00`, `@leadbot nudge off`) and shows the replies. Nothing
here touches storage; `dialogs.nudges.turns` does that and calls these. The
replies are in the channel's nudge language: their words are `nudge_*` phrases
in content/wording.yaml (and content/cy/wording.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from dialogs.content_loader import Content
from dialogs.models import Reply
from dialogs.nudges.schedule import WEEKDAY_NAMES, Schedule, Slot, describe_time

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
    "cymraeg": "cy",
    "welsh": "cy",
    "cy": "cy",
    "english": "en",
    "saesneg": "en",
    "en": "en",
    "bilingual": "bilingual",
    "dwyieithog": "bilingual",
    "both": "bilingual",
}
TIME_24 = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
TIME_12 = re.compile(r"^(1[0-2]|0?[1-9])(?:[:.]([0-5]\d))?\s*(am|pm)$")
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
    """What could not be read: a phrase key from wording.yaml and the names it needs."""

    key: str
    names: dict[str, str] = field(default_factory=dict)
    usage: bool = True  # followed by the usage line


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
        return CommandError("nudge_usage", usage=False)
    words = words[1:]
    if not words or words[0] in ("status", "show", "next"):
        return NudgeCommand("status") if len(words) <= 1 else CommandError("nudge_usage", usage=False)
    action, args = words[0], words[1:]
    if action == "off":
        return NudgeCommand("off") if not args else CommandError("nudge_error_off")
    if action != "on":
        return CommandError("nudge_error_unknown", {"action": action[:30]})
    if len(args) > MAX_TOKENS:
        return CommandError("nudge_usage", usage=False)
    cmd = NudgeCommand("on")
    for token in args:
        if token in ("at", "on", "every", "in"):
            continue
        day = DAYS.get(token)
        if day is not None:
            if day >= 5:
                return CommandError("nudge_error_weekend", usage=False)
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
        return CommandError("nudge_error_token", {"token": token[:40]}, usage=False)
    return cmd


# --- replies ---------------------------------------------------------------------
# Each takes the content in the reply's language; `in_languages` makes one reply of several
# (a bilingual channel: Welsh first).


def describe_day(c: Content, day: date) -> str:
    """British style, in the reply's language: "Monday 7 April", "dydd Llun 7 Ebrill"."""
    return c.say("nudge_day", weekday=c.say(f"day_{day.weekday()}"), day=day.day, month=c.say(f"month_{day.month}"))


def describe_date(c: Content, day: date) -> str:
    return c.say("nudge_date", day=day.day, month=c.say(f"month_{day.month}"), year=day.year)


def describe_schedule(c: Content, schedule: Schedule) -> str:
    region_key = "region_" + schedule.region.replace("-", "_")
    region = c.say(region_key) if region_key in c.wording else schedule.region
    language = c.wording.get(f"nudge_language_{schedule.language}", c.say("nudge_language_en"))
    return c.say(
        "nudge_every",
        day=c.say(f"day_{schedule.weekday}"),
        time=describe_time(schedule.local_time),
        timezone=schedule.timezone,
        region=region,
        language=language,
    )


def holiday_name(c: Content, name: str) -> str:
    """A bank holiday's name (as the holidays library gives it, in English) in the reply's language."""
    base = name.removesuffix(" (observed)")
    said = c.wording.get("holiday_" + re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_"), base)
    return c.say("holiday_observed", name=said) if base != name else said


def describe_slot(c: Content, slot: Slot, schedule: Schedule) -> str:
    assert slot.send_date is not None
    when = c.say("nudge_slot", day=describe_day(c, slot.send_date), time=describe_time(schedule.local_time))
    if slot.moved_for and slot.send_date != slot.nominal:
        when = c.say(
            "nudge_moved", when=when, day=describe_day(c, slot.nominal), holiday=holiday_name(c, slot.moved_for)
        )
    return when


def turned_on_reply(c: Content, schedule: Schedule, first: Slot, updated: bool) -> Reply:
    return Reply(
        kind="notice",
        title=c.say("nudge_title"),
        lines=[
            c.say("nudge_updated" if updated else "nudge_turned_on", schedule=describe_schedule(c, schedule)),
            c.say("nudge_next", when=describe_slot(c, first, schedule)),
            c.say("nudge_anyone"),
        ],
    )


def turned_off_reply(c: Content, was_on: bool) -> Reply:
    return Reply(kind="notice", lines=[c.say("nudge_off" if was_on else "nudge_off_was_off")])


PAUSE_REASONS = ("channel_not_found", "is_archived", "not_in_channel", "gone")


def status_reply(c: Content, status: Status | None, default: Schedule) -> Reply:
    if status is None or not status.enabled:
        schedule = status.schedule if status else default
        return Reply(
            kind="info",
            title=c.say("nudge_title"),
            lines=[c.say("nudge_not_on"), c.say("nudge_how", schedule=describe_schedule(c, schedule))],
        )
    lines = [c.say("nudge_are_on", schedule=describe_schedule(c, status.schedule))]
    if status.paused_at is not None:
        reason = status.paused_reason if status.paused_reason in PAUSE_REASONS else "gone"
        lines.append(
            c.say("nudge_paused", date=describe_date(c, status.paused_at.date()), why=c.say(f"pause_{reason}"))
        )
    elif status.next_slot is not None:
        lines.append(c.say("nudge_next", when=describe_slot(c, status.next_slot, status.schedule)))
    if status.turned_on_at is not None:
        who = status.turned_on_by_name or c.say("nudge_someone")
        lines.append(c.say("nudge_turned_on_by", who=who, date=describe_date(c, status.turned_on_at.date())))
    lines.extend(status.extra)
    return Reply(kind="info", title=c.say("nudge_title"), lines=lines)


def channel_only_reply(c: Content) -> Reply:
    return Reply(
        kind="info", title=c.say("nudge_title"), lines=[c.say("nudge_channel_only"), c.say("nudge_channel_only_how")]
    )


def addressed(reply: Reply, prefix: str) -> Reply:
    """Our replies say "type 'nudge on'"; on a platform where the bot is addressed first
    ("/leadbot nudge on", "@leadbot nudge on"), say it that way."""
    if not prefix:
        return reply
    return reply.model_copy(update={"lines": [line.replace("'nudge", f"'{prefix}nudge") for line in reply.lines]})


def error_reply(c: Content, error: CommandError) -> Reply:
    message = c.say(error.key, **error.names)
    if error.usage:
        message += " " + c.say("nudge_usage")
    return Reply(kind="info", title=c.say("nudge_title"), lines=[message])


def unavailable_reply(c: Content) -> Reply:
    return Reply(kind="error", lines=[c.say("nudge_unavailable")], language=c.language)


def in_languages(contents: list[Content], make) -> Reply:
    """One reply in each language, Welsh first, as one message: `make(content) -> Reply`."""
    replies = [make(c) for c in contents]
    first = replies[0]
    if len(replies) == 1:
        return first.model_copy(update={"language": contents[0].language})
    titles = [r.title for r in replies if r.title]
    return first.model_copy(
        update={
            "title": " / ".join(dict.fromkeys(titles)) if titles else None,
            "lines": [line for r in replies for line in r.lines],
            "language": contents[0].language,
        }
    )
