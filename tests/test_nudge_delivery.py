"""The weekly fan-out end to end: send_due -> HTTP -> a fake platform API on loopback, on SQLite and PostgreSQL.

What a team would notice: the nudge arrives on time, exactly once; late only
on the same working day; never a day late; never twice, whatever failed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import time, timedelta

import pytest
from sqlalchemy import insert

from bot.metrics import Metrics
from bot.nudges.fanout import LEASE, SETTLE, Limits, NudgeSender
from bot.storage.nudge_store import SqlNudgeStore
from bot.storage.tables import nudge_deliveries
from dialogs.nudges.schedule import Schedule, slot_for_week, week_index, week_key
from tests.fakes.http_messenger import BlindHttpMessenger, HttpMessenger
from tests.fakes.nudge_api import FakeNudgeApi
from tests.nudge_support import channels, ledger, subscribe, utc

MONDAY = utc(2025, 1, 13, 9, 0)  # 09:00 GMT, an ordinary Monday
FRIDAY_BEFORE = utc(2025, 1, 10, 12, 0)  # when most test channels turned nudges on


@pytest.fixture
async def messengers(nudge_api):
    ms = {p: HttpMessenger(p, nudge_api.url) for p in ("slack", "teams")}
    yield ms
    for m in ms.values():
        await m.close()


@pytest.fixture
def metrics():
    return Metrics()


@pytest.fixture
def service(sql_store, content, metrics):
    return NudgeSender(SqlNudgeStore(sql_store.engine), content, metrics=metrics)


def counted(metrics: Metrics, platform: str, outcome: str) -> float:
    return metrics.registry.get_sample_value("leadbot_nudges_total", {"platform": platform, "outcome": outcome}) or 0.0


async def test_due_nudges_go_out_once_on_time_and_a_second_run_sends_nothing(
    service, messengers, nudge_api, sql_store, metrics
):
    keys = channels(20)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    early = await service.send_due(MONDAY - timedelta(minutes=1), messengers)
    assert early.due == 0 and nudge_api.posts == [], "nothing before 09:00"
    report = await service.send_due(MONDAY, messengers)
    assert report.sent == 20 and report.ok
    assert sorted(nudge_api.per_channel()) == sorted(keys) and not nudge_api.duplicates()
    rows = await ledger(sql_store.engine)
    assert {r.status for r in rows.values()} == {"sent"} and all(r.message_ref for r in rows.values())
    assert {r.week for r in rows.values()} == {"2025-W03"}
    again = await service.send_due(MONDAY + timedelta(minutes=5), messengers)
    assert again.due == 0 and len(nudge_api.posts) == 20, "never two nudges in one week"
    assert counted(metrics, "slack", "sent") == 10 and counted(metrics, "teams", "sent") == 10
    post = nudge_api.posts[0].reply
    assert post["kind"] == "nudge" and post["quote"]["source"] and post["follow_up"]


async def test_two_runs_at_the_same_moment_in_one_process_send_each_nudge_once(
    service, messengers, nudge_api, sql_store, content
):
    keys = channels(100, workspaces=7)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    other = NudgeSender(SqlNudgeStore(sql_store.engine), content)
    a, b = await asyncio.gather(service.send_due(MONDAY, messengers), other.send_due(MONDAY, messengers))
    assert a.sent + b.sent == 100
    assert len(nudge_api.posts) == 100 and not nudge_api.duplicates()


async def test_down_at_nine_and_back_at_eleven_sends_on_recovery(service, messengers, nudge_api, sql_store):
    await subscribe(sql_store.engine, channels(4), on_at=FRIDAY_BEFORE)
    report = await service.send_due(MONDAY + timedelta(hours=2), messengers)
    assert report.sent == 4 and len(nudge_api.posts) == 4


async def test_back_the_next_day_skips_that_week_and_records_it(service, messengers, nudge_api, sql_store, metrics):
    keys = channels(4)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    report = await service.send_due(MONDAY + timedelta(days=1, hours=1), messengers)
    assert report.sent == 0 and report.skipped == 4 and nudge_api.posts == [], "no late nudges"
    rows = await ledger(sql_store.engine)
    assert {(r.status, r.last_error) for r in rows.values()} == {("skipped", "missed_day")}
    assert counted(metrics, "slack", "skipped") == 2
    # The next week is normal.
    nxt = await service.send_due(MONDAY + timedelta(weeks=1), messengers)
    assert nxt.sent == 4


async def test_down_for_a_whole_week_records_the_missed_week_and_sends_this_one(
    service, messengers, nudge_api, sql_store
):
    await subscribe(sql_store.engine, channels(2), on_at=FRIDAY_BEFORE)
    report = await service.send_due(MONDAY + timedelta(weeks=1, minutes=30), messengers)
    assert report.sent == 2 and report.skipped == 2
    rows = await ledger(sql_store.engine)
    assert (
        sorted((r.week, r.status) for r in rows.values()) == [("2025-W03", "skipped")] * 2 + [("2025-W04", "sent")] * 2
    )


async def test_turned_on_after_this_weeks_time_starts_next_week(service, messengers, nudge_api, sql_store):
    await subscribe(sql_store.engine, channels(2), on_at=MONDAY + timedelta(hours=3))
    assert (await service.send_due(MONDAY + timedelta(hours=4), messengers)).due == 0
    assert (await service.send_due(MONDAY + timedelta(days=1, hours=1), messengers)).skipped == 0, "not a missed week"
    assert (await service.send_due(MONDAY + timedelta(weeks=1), messengers)).sent == 2


async def test_a_gone_channel_is_paused_with_its_reason_and_the_rest_still_get_theirs(
    service, messengers, nudge_api, sql_store, metrics
):
    keys = channels(10)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    nudge_api.gone = {keys[3], keys[6]}
    report = await service.send_due(MONDAY, messengers)
    assert report.sent == 8 and report.paused == 2
    assert len(nudge_api.posts) == 8
    for key in (keys[3], keys[6]):
        sub = await service.store.subscription(key)
        assert sub.paused_at is not None and sub.paused_reason == "channel_not_found" and not sub.active
    assert counted(metrics, keys[3][0], "paused") == 1
    requests = nudge_api.requests
    await service.send_due(MONDAY + timedelta(weeks=1), messengers)
    assert nudge_api.requests == requests + 8, "paused channels are not tried again"


async def test_a_throttling_platform_gets_every_nudge_exactly_once(service, messengers, nudge_api, sql_store):
    keys = channels(60, workspaces=3)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    nudge_api.throttle_first = 5  # each workspace's first posts are answered 429 Retry-After: 1
    report = await service.send_due(MONDAY, messengers)
    assert nudge_api.throttled == 5 * len({k[:2] for k in keys})
    assert report.sent == 60 and report.ok
    assert len(nudge_api.posts) == 60 and not nudge_api.duplicates()


async def test_a_workspace_rate_limit_is_honoured_without_losing_or_doubling(service, messengers, sql_store):
    api = FakeNudgeApi(rate_per_workspace=20, burst=5, throttle_first=3)
    await api.start()
    ms = {p: HttpMessenger(p, api.url) for p in ("slack", "teams")}
    try:
        keys = channels(80, workspaces=2)
        await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
        report = await service.send_due(MONDAY, ms)
        # The first three posts to each workspace are always refused; the rate limit refuses more only when the
        # fan-out outpaces 20 a second, which depends on how busy the machine is.
        workspaces = {(p, w) for p, w, _ in keys}
        assert api.throttled >= 3 * len(workspaces) and report.sent == 80
        assert len(api.posts) == 80 and not api.duplicates()
    finally:
        for m in ms.values():
            await m.close()
        await api.stop()


async def test_server_errors_are_retried_with_backoff_the_same_day(service, messengers, nudge_api, sql_store):
    keys = channels(3)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    nudge_api.fail_times = {keys[0]: 2}
    first = await service.send_due(MONDAY, messengers)
    assert first.sent == 2 and first.retrying == 1 and not first.ok
    row = (await ledger(sql_store.engine))[(*keys[0], "2025-W03")]
    assert row.status == "retry" and row.attempts == 1 and row.last_error == "internal_error"
    requests = nudge_api.requests
    await service.send_due(MONDAY + timedelta(seconds=30), messengers)
    assert nudge_api.requests == requests, "not before the backoff"
    second = await service.send_due(MONDAY + timedelta(seconds=90), messengers)
    assert second.retrying == 1 and nudge_api.requests == requests + 1
    third = await service.send_due(MONDAY + timedelta(minutes=4), messengers)
    assert third.sent == 1 and third.ok
    assert len(nudge_api.posts) == 3 and not nudge_api.duplicates()
    assert (await ledger(sql_store.engine))[(*keys[0], "2025-W03")].attempts == 3


async def test_a_send_still_failing_when_the_day_ends_is_failed_not_sent_late(
    service, messengers, nudge_api, sql_store, metrics
):
    keys = channels(1)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    nudge_api.fail_times = {keys[0]: 1000}
    await service.send_due(MONDAY, messengers)
    late = await service.send_due(utc(2025, 1, 14, 0, 1), messengers)
    assert late.failed == 1
    row = (await ledger(sql_store.engine))[(*keys[0], "2025-W03")]
    assert row.status == "failed"
    assert nudge_api.posts == [] and counted(metrics, "slack", "failed") == 1


async def test_an_unanswered_send_is_looked_up_not_sent_again(sql_store, content, nudge_api, messengers):
    keys = channels(2)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    impatient = NudgeSender(SqlNudgeStore(sql_store.engine), content, limits=Limits(post_timeout=2.0))
    nudge_api.hold_answers = asyncio.Event()  # the platform takes the message but never answers in time
    report = await impatient.send_due(MONDAY, messengers)
    assert report.unknown == 2 and len(nudge_api.posts) == 2
    assert {r.status for r in (await ledger(sql_store.engine)).values()} == {"unknown"}
    nudge_api.hold_answers.set()
    assert (await impatient.send_due(MONDAY + timedelta(seconds=30), messengers)).due == 0, "it settles first"
    later = await impatient.send_due(MONDAY + SETTLE + timedelta(minutes=1), messengers)
    assert later.sent == 2 and len(nudge_api.posts) == 2, "found on the platform: recorded as sent, not posted again"
    rows = await ledger(sql_store.engine)
    assert {r.status for r in rows.values()} == {"sent"} and all(r.message_ref for r in rows.values())


async def _claim_and_die(engine, key, week, nudge_id, at):
    """What a process leaves behind when it is killed between its claim and the platform's answer."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(nudge_deliveries).values(
                platform=key[0],
                workspace_id=key[1],
                channel_id=key[2],
                week=week,
                status="sending",
                nudge_id=nudge_id,
                attempts=1,
                due_at=MONDAY,
                day_ends_at=utc(2025, 1, 14),
                claim_token=uuid.uuid4().hex,
                lease_until=at + LEASE,
                updated_at=at,
            )
        )


async def test_a_claim_left_by_a_dead_process_is_reconciled_and_sent_only_if_it_never_arrived(
    service, messengers, nudge_api, sql_store, content
):
    keys = channels(2)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    nudge_id = next(iter(content.nudges))
    await _claim_and_die(sql_store.engine, keys[0], "2025-W03", nudge_id, MONDAY)
    soon = await service.send_due(MONDAY + timedelta(minutes=1), messengers)
    assert soon.sent == 1 and [p.channel_id for p in nudge_api.posts] == [keys[1][2]], "a live lease is left alone"
    later = await service.send_due(MONDAY + LEASE + timedelta(minutes=1), messengers)
    assert later.expired == 1 and later.sent == 1
    assert nudge_api.per_channel()[keys[0]] == 1, "the platform said it never arrived, so it was sent, once"
    assert nudge_api.posts[-1].reply["title"] == content.nudges[nudge_id].title, "the nudge chosen at the claim"


async def test_without_a_lookup_an_unknown_send_counts_as_sent_and_is_never_repeated(
    service, nudge_api, sql_store, content, metrics
):
    keys = channels(1)
    await subscribe(sql_store.engine, keys, on_at=FRIDAY_BEFORE)
    blind = {"slack": BlindHttpMessenger("slack", nudge_api.url)}
    try:
        await _claim_and_die(sql_store.engine, keys[0], "2025-W03", next(iter(content.nudges)), MONDAY)
        report = await service.send_due(MONDAY + LEASE + timedelta(minutes=1), blind)
        assert report.unknown == 1 and nudge_api.posts == []
        for minutes in (30, 120, 600):
            await service.send_due(MONDAY + timedelta(minutes=minutes), blind)
        row = (await ledger(sql_store.engine))[(*keys[0], "2025-W03")]
        assert row.status == "unknown" and row.next_attempt_at is None and nudge_api.posts == []
        assert counted(metrics, "slack", "unknown") == 1
    finally:
        await blind["slack"].close()


async def test_with_no_messenger_for_a_platform_its_channels_are_left_unclaimed(
    service, messengers, nudge_api, sql_store
):
    await subscribe(sql_store.engine, channels(4), on_at=FRIDAY_BEFORE)
    report = await service.send_due(MONDAY, {"slack": messengers["slack"]})
    assert report.sent == 2 and report.no_messenger == {"teams": 2} and not report.ok
    assert all(k[0] == "slack" for k in await ledger(sql_store.engine)), "nothing claimed for teams"
    assert (await service.send_due(MONDAY + timedelta(minutes=1), messengers)).sent == 2


async def test_shutting_down_stops_claiming(service, messengers, nudge_api, sql_store):
    await subscribe(sql_store.engine, channels(10), on_at=FRIDAY_BEFORE)
    stop = asyncio.Event()
    stop.set()
    report = await service.send_due(MONDAY, messengers, stop)
    assert report.stopped == 10 and nudge_api.posts == [] and await ledger(sql_store.engine) == {}


@pytest.mark.parametrize(
    "before, at",
    [
        (utc(2025, 3, 31, 7, 59), utc(2025, 3, 31, 8, 0)),  # first Monday of BST: 09:00 local is 08:00Z
        (utc(2025, 10, 27, 8, 59), utc(2025, 10, 27, 9, 0)),  # first Monday of GMT: 09:00 local is 09:00Z
    ],
)
async def test_the_weeks_the_clocks_change_still_send_at_nine_local(
    service, messengers, nudge_api, sql_store, before, at
):
    await subscribe(sql_store.engine, channels(2))
    assert (await service.send_due(before, messengers)).due == 0
    assert (await service.send_due(at, messengers)).sent == 2


async def test_easter_monday_waits_for_tuesday_in_england_but_not_in_scotland(
    service, messengers, nudge_api, sql_store
):
    england, scotland = ("slack", "T1", "C_ENG"), ("slack", "T1", "C_SCT")
    await subscribe(sql_store.engine, [england])
    await subscribe(sql_store.engine, [scotland], schedule=Schedule(region="scotland"))
    monday = await service.send_due(utc(2025, 4, 21, 8, 0), messengers)  # 09:00 BST on Easter Monday
    assert monday.sent == 1 and [p.channel_id for p in nudge_api.posts] == ["C_SCT"]
    assert (await service.send_due(utc(2025, 4, 21, 22, 0), messengers)).skipped == 0
    tuesday = await service.send_due(utc(2025, 4, 22, 8, 0), messengers)
    assert tuesday.sent == 1 and [p.channel_id for p in nudge_api.posts] == ["C_SCT", "C_ENG"]


async def test_a_thursday_team_has_no_nudge_in_christmas_week_and_one_the_week_after(
    service, messengers, nudge_api, sql_store
):
    await subscribe(sql_store.engine, channels(1), schedule=Schedule(weekday=3), on_at=utc(2025, 12, 19))
    christmas = await service.send_due(utc(2025, 12, 26, 12, 0), messengers)
    assert christmas.skipped == 1 and nudge_api.posts == []
    row = next(iter((await ledger(sql_store.engine)).values()))
    assert (row.week, row.status, row.last_error) == ("2025-W52", "skipped", "no_working_day")
    assert (await service.send_due(utc(2026, 1, 1, 9, 0), messengers)).due == 0, "New Year's Day"
    assert (await service.send_due(utc(2026, 1, 2, 9, 0), messengers)).sent == 1


async def test_a_channel_in_new_york_gets_nine_oclock_new_york_time(service, messengers, nudge_api, sql_store):
    await subscribe(
        sql_store.engine, channels(1), schedule=Schedule(timezone="America/New_York", local_time=time(9, 0))
    )
    assert (await service.send_due(utc(2025, 1, 13, 13, 59), messengers)).due == 0
    assert (await service.send_due(utc(2025, 1, 13, 14, 0), messengers)).sent == 1


async def test_two_years_of_weekly_runs_never_repeat_a_nudge_within_52_weeks(
    service, messengers, nudge_api, sql_store, content
):
    key = ("teams", "tenant-1", "19:general")
    await subscribe(sql_store.engine, [key], on_at=FRIDAY_BEFORE)
    sendable = 0
    for week in range(104):
        slot = slot_for_week(Schedule(), week_key((MONDAY + timedelta(weeks=week)).date()))
        if slot.sendable:
            sendable += 1
            assert (await service.send_due(slot.due_at + timedelta(minutes=1), messengers)).sent == 1
    assert len(nudge_api.posts) == sendable and sendable > 100
    sent = sorted((row.week, row.nudge_id) for row in (await ledger(sql_store.engine)).values())
    last: dict[str, int] = {}
    for week, nudge_id in sent:
        assert nudge_id not in last or week_index(week) - last[nudge_id] >= 52, f"{nudge_id} repeated within 52 weeks"
        last[nudge_id] = week_index(week)
    themes = Counter(content.nudges[n].theme for _, n in sent)
    assert max(themes.values()) - min(themes.values()) <= 1, themes
    assert [p.reply["title"] for p in nudge_api.posts] == [content.nudges[n].title for _, n in sent]
