"""When a nudge is due: weekdays, bank holidays by region, timezones and the weeks the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from dialogs.nudges.schedule import Schedule, next_slot, slot_at, slot_for_week, week_key

UTC = UTC


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


MONDAY_9 = Schedule()  # Monday 09:00 Europe/London, England and Wales


def test_an_ordinary_week_is_due_at_nine_local_and_ends_at_midnight_local():
    slot = slot_for_week(MONDAY_9, "2025-W03")
    assert slot.send_date == date(2025, 1, 13)
    assert slot.due_at == utc(2025, 1, 13, 9, 0)  # GMT
    assert slot.day_ends_at == utc(2025, 1, 14, 0, 0)


@pytest.mark.parametrize(
    "week, due_before, due_after",
    [
        # Clocks go forward on Sunday 30 March 2025: 09:00 is 09:00Z the Monday before and 08:00Z after.
        ("2025-W13", utc(2025, 3, 24, 9, 0), "2025-W14"),
        # Clocks go back on Sunday 26 October 2025: 09:00 is 08:00Z the Monday before and 09:00Z after.
        ("2025-W43", utc(2025, 10, 20, 8, 0), "2025-W44"),
    ],
)
def test_nine_oclock_stays_nine_oclock_local_across_the_clock_change(week, due_before, due_after):
    before, after = slot_for_week(MONDAY_9, week), slot_for_week(MONDAY_9, due_after)
    assert before.due_at == due_before
    assert after.due_at.astimezone(MONDAY_9.tz).time() == time(9, 0)
    assert before.due_at.astimezone(MONDAY_9.tz).time() == time(9, 0)
    assert abs((after.due_at - before.due_at).total_seconds() - 7 * 86400) == 3600, (
        "one week apart, give or take the hour"
    )


def test_easter_monday_moves_the_nudge_in_england_but_not_in_scotland():
    england = slot_for_week(MONDAY_9, "2025-W17")
    scotland = slot_for_week(Schedule(region="scotland"), "2025-W17")
    assert england.send_date == date(2025, 4, 22) and england.moved_for == "Easter Monday"
    assert england.due_at == utc(2025, 4, 22, 8, 0)  # 09:00 BST
    assert scotland.send_date == date(2025, 4, 21) and scotland.moved_for is None


def test_st_andrews_day_moves_a_scottish_nudge_only():
    # 30 November 2026 is a Monday.
    assert slot_for_week(Schedule(region="scotland"), "2026-W49").send_date == date(2026, 12, 1)
    assert slot_for_week(MONDAY_9, "2026-W49").send_date == date(2026, 11, 30)
    # In 2025 it falls on a Sunday and the substitute day is Monday 1 December.
    assert slot_for_week(Schedule(region="scotland"), "2025-W49").send_date == date(2025, 12, 2)


def test_boxing_day_on_a_saturday_gives_a_substitute_monday():
    # 26 December 2026 is a Saturday; Monday 28 December is the substitute bank holiday.
    slot = slot_for_week(MONDAY_9, "2026-W53")
    assert slot.send_date == date(2026, 12, 29)
    assert "Boxing Day" in slot.moved_for


def test_northern_ireland_has_st_patricks_day():
    assert slot_for_week(Schedule(region="northern-ireland"), "2025-W12").send_date == date(2025, 3, 18)
    assert slot_for_week(MONDAY_9, "2025-W12").send_date == date(2025, 3, 17)


def test_no_working_day_left_in_the_week_means_no_nudge_that_week():
    thursday = Schedule(weekday=3)
    christmas = slot_for_week(thursday, "2025-W52")  # Thu 25 and Fri 26 December 2025
    assert christmas.nominal == date(2025, 12, 25) and christmas.due_at is None and not christmas.sendable
    good_friday = slot_for_week(Schedule(weekday=4), "2025-W16")  # Good Friday; Easter Monday is next week
    assert not good_friday.sendable
    # The following week is normal, so the team gets exactly one nudge that week.
    assert slot_for_week(thursday, "2026-W01").send_date == date(2026, 1, 2)  # Thu 1 Jan is New Year's Day


def test_a_channel_in_another_timezone_gets_its_own_local_time():
    ny = Schedule(timezone="America/New_York", local_time=time(9, 30))
    # US clocks changed on 9 March 2025, the UK's not until 30 March.
    assert slot_for_week(ny, "2025-W12").due_at == utc(2025, 3, 17, 13, 30)
    assert slot_for_week(ny, "2025-W02").due_at == utc(2025, 1, 6, 14, 30)


def test_the_week_is_the_channels_own_calendar_week():
    sydney = Schedule(timezone="Australia/Sydney")
    # 22:30 UTC on Sunday is still Sunday in London but Monday morning in Sydney: a new week there.
    assert slot_at(sydney, utc(2025, 6, 1, 22, 30)).week == "2025-W23"
    assert slot_at(MONDAY_9, utc(2025, 6, 1, 22, 30)).week == "2025-W22"
    assert week_key(date(2026, 12, 31)) == "2026-W53"


def test_next_slot_skips_a_week_without_a_working_day():
    thursday = Schedule(weekday=3)
    nxt = next_slot(thursday, utc(2025, 12, 24, 12, 0))
    assert nxt.week == "2026-W01" and nxt.send_date == date(2026, 1, 2)
    # During the due day the current slot is still next; after the day it moves on.
    assert next_slot(MONDAY_9, utc(2025, 1, 13, 10, 0)).week == "2025-W03"
    assert next_slot(MONDAY_9, utc(2025, 1, 14, 0, 0)).week == "2025-W04"
