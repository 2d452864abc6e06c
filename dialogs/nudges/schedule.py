"""When a channel's weekly nudge is due: weekday, local time, timezone and bank holidays.

A week is the ISO week of the channel's local calendar ("2025-W14"). The nudge
is due on the scheduled weekday at the local time; if that day is a bank
holiday in the channel's region, it moves to the next working day of the same
week. If no working day is left in that week (a Friday nudge on Good Friday,
a Thursday nudge at Christmas), the week has no nudge: a team never gets two
nudges in one week. Times are wall-clock times in the channel's timezone, so a
09:00 nudge is at 09:00 local on both sides of a clock change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

Region = Literal["england-and-wales", "scotland", "northern-ireland"]
REGIONS: dict[str, str] = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}
DEFAULT_REGION: Region = "england-and-wales"
DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_TIME = time(9, 0)
# Day names as commands take them ("nudge on tuesday"); what a reply says is in wording.yaml (day_0 ...).
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Schedule:
    weekday: int = DEFAULT_WEEKDAY  # 0 = Monday ... 4 = Friday
    local_time: time = DEFAULT_TIME
    timezone: str = "Europe/London"
    region: str = DEFAULT_REGION
    language: str = "en"  # the nudge's language: "en", "cy", or "bilingual" (Welsh first)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Slot:
    """One week's nudge for one channel: which week, and the window it may be sent in."""

    week: str  # "2025-W14"
    nominal: date  # the scheduled weekday of that week
    send_date: date | None  # after moving past bank holidays; None when no working day is left
    due_at: datetime | None  # UTC
    day_ends_at: datetime | None  # UTC: midnight local after send_date; after this the week is skipped
    moved_for: str | None = None  # the holiday's name when the nudge was moved

    @property
    def sendable(self) -> bool:
        return self.due_at is not None


@lru_cache(maxsize=64)
def _holidays(region: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=REGIONS.get(region, "ENG"), years=year)


def holiday_name(day: date, region: str) -> str | None:
    return _holidays(region, day.year).get(day)


def is_working_day(day: date, region: str) -> bool:
    return day.weekday() < 5 and holiday_name(day, region) is None


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(key: str) -> date:
    year, week = key.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def week_index(key: str) -> int:
    """Weeks since a fixed Monday, so that two keys can be subtracted."""
    return week_monday(key).toordinal() // 7


def add_weeks(key: str, n: int) -> str:
    return week_key(week_monday(key) + timedelta(weeks=n))


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time on a day, in UTC.

    PEP 495 with fold=0: a time the clocks skip (spring forward) comes out an hour
    later, a time that happens twice (fall back) is the first of the two.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def slot_for_week(schedule: Schedule, key: str) -> Slot:
    tz = schedule.tz
    monday = week_monday(key)
    nominal = monday + timedelta(days=schedule.weekday)
    day, moved_for = nominal, None
    while not is_working_day(day, schedule.region):
        moved_for = moved_for or holiday_name(day, schedule.region)
        day += timedelta(days=1)
        if day > monday + timedelta(days=4):
            return Slot(key, nominal, None, None, None, moved_for)
    due = local_instant(day, schedule.local_time, tz)
    ends = local_instant(day + timedelta(days=1), time(0, 0), tz)
    return Slot(key, nominal, day, due, ends, moved_for)


def current_week(schedule: Schedule, now: datetime) -> str:
    return week_key(now.astimezone(schedule.tz).date())


def slot_at(schedule: Schedule, now: datetime, weeks_back: int = 0) -> Slot:
    """The slot of the week `now` falls in (in the channel's timezone), or of an earlier week."""
    return slot_for_week(schedule, add_weeks(current_week(schedule, now), -weeks_back))


def next_slot(schedule: Schedule, after: datetime, include_current: bool = True) -> Slot:
    """The first sendable slot whose day has not ended by `after` (due now or later)."""
    key = current_week(schedule, after)
    if not include_current:
        key = add_weeks(key, 1)
    for _ in range(60):
        slot = slot_for_week(schedule, key)
        if slot.sendable and slot.day_ends_at > after:
            return slot
        key = add_weeks(key, 1)
    raise ValueError("no working day in sixty weeks")  # cannot happen with real calendars


def describe_time(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"
