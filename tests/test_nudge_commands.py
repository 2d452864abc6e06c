"""`nudge on|off|` and the poll, as a channel uses them: replies, storage, anonymous counts, forget me.

On SQLite and on the real PostgreSQL. Poll results travel over HTTP to the fake
platform API, which records each update of the channel's message.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.nudges.service import NudgeService
from bot.nudges.store import NudgeStore
from bot.storage.tables import nudge_subscriptions, nudge_votes
from dialogs.models import ChoicePress, ConversationKey, Inbound
from dialogs.nudges.render import POLL_OPTIONS
from tests.fakes.http_messenger import HttpMessenger
from tests.nudge_support import utc

NOW = utc(2025, 4, 2, 15, 0)  # a Wednesday afternoon
CHANNEL = ("slack", "T1", "C_TEAM")


def said(text: str, user: str = "U_ALEX", name: str | None = "Alex Smith", event_id: str | None = None) -> Inbound:
    key = ConversationKey(platform="slack", workspace_id="T1", user_id=user, conversation_id="C_TEAM")
    return Inbound(key=key, surface="slash", text=text, user_name=name, event_id=event_id)


def pressed(value: str, user: str) -> Inbound:
    key = ConversationKey(platform="slack", workspace_id="T1", user_id=user, conversation_id="C_TEAM")
    return Inbound(key=key, surface="button", choice=ChoicePress(value=value))


@pytest.fixture
async def service(sql_store, content, nudge_api):
    messengers = {p: HttpMessenger(p, nudge_api.url) for p in ("slack", "teams")}
    yield NudgeService(content, NudgeStore(sql_store.engine), messengers=messengers, events=sql_store)
    for m in messengers.values():
        await m.close()


def text_of(replies) -> str:
    return "\n".join(r.plain_text() for r in replies)


async def test_nudge_on_with_no_details_means_mondays_at_nine_london_time(service):
    replies = await service.handle_command(said("nudge on"), now=NOW)
    text = text_of(replies)
    assert "every Monday at 09:00 (Europe/London)" in text and "England and Wales" in text
    assert "The next one is due on Monday 7 April at 09:00." in text
    sub = await service.store.subscription(CHANNEL)
    assert sub.active and sub.turned_on_by == "U_ALEX" and sub.turned_on_at == NOW


async def test_anyone_can_see_the_schedule_who_turned_it_on_and_a_preview_of_the_next_nudge(service, nudge_api):
    await service.handle_command(said("nudge on thursday 2pm scotland"), now=NOW)
    replies = await service.handle_command(said("nudge", user="U_SAM", name="Sam"), now=NOW)
    status, preview = replies
    assert "every Thursday at 14:00 (Europe/London)" in status.plain_text() and "Scotland" in status.plain_text()
    assert "The next one is due on Thursday 3 April at 14:00." in status.plain_text()
    assert "Turned on by Alex Smith on 2 April 2025." in status.plain_text()
    assert preview.kind == "nudge" and preview.title.startswith("Preview: ") and preview.choices == []
    # The preview is what actually goes out.
    report = await service.send_due(utc(2025, 4, 3, 13, 0))
    assert report.sent == 1
    assert "Preview: " + nudge_api.posts[0].reply["title"] == preview.title


async def test_changing_the_day_keeps_who_turned_it_on_and_off_forgets_them(service, sql_store):
    await service.handle_command(said("nudge on"), now=NOW)
    replies = await service.handle_command(said("nudge on friday 08:30", user="U_SAM", name="Sam"), now=NOW + timedelta(hours=1))
    assert "schedule updated" in text_of(replies) and "every Friday at 08:30" in text_of(replies)
    assert (await service.store.subscription(CHANNEL)).turned_on_by == "U_ALEX"
    off = await service.handle_command(said("nudge off", user="U_SAM"), now=NOW)
    assert "off for this channel" in text_of(off)
    sub = await service.store.subscription(CHANNEL)
    assert not sub.enabled and sub.turned_on_by is None and sub.turned_on_by_name is None
    assert "aren't on" in text_of(await service.handle_command(said("nudge"), now=NOW))
    assert "weren't on" in text_of(await service.handle_command(said("nudge off"), now=NOW))
    again = await service.handle_command(said("nudge on"), now=NOW)
    assert "every Friday at 08:30" in text_of(again), "the channel's schedule is remembered"


@pytest.mark.parametrize(
    "text, expect",
    [
        ("nudge on saturday", "Monday to Friday"),
        ("nudge on tuesday 25:00", "couldn't read '25:00'"),
        ("nudge on mars/olympus", "couldn't read"),
        ("nudge sometimes", "don't know 'nudge sometimes'"),
        ("nudge off please", "takes nothing after it"),
    ],
)
async def test_commands_it_cannot_read_get_a_plain_answer_and_change_nothing(service, text, expect):
    replies = await service.handle_command(said(text), now=NOW)
    assert expect in text_of(replies)
    assert await service.store.subscription(CHANNEL) is None


async def test_a_repeated_delivery_of_the_same_command_is_answered_once(service):
    assert await service.handle_command(said("nudge on", event_id="Ev1"), now=NOW)
    assert await service.handle_command(said("nudge on", event_id="Ev1"), now=NOW) == []


async def _sent_nudge(service) -> str:
    await service.handle_command(said("nudge on"), now=NOW - timedelta(days=3))
    report = await service.send_due(utc(2025, 3, 31, 8, 0))
    assert report.sent == 1
    return "2025-W14"


async def test_many_people_voting_at_once_get_exact_anonymous_counts_on_the_message(service, nudge_api, sql_store):
    week = await _sent_nudge(service)
    ref = nudge_api.posts[0].ref
    options = list(POLL_OPTIONS)
    votes = {f"U{i:03d}": options[i % 3] for i in range(60)}
    await asyncio.gather(*(service.handle_vote(pressed(f"poll:{week}:{o}", u), now=NOW) for u, o in votes.items()))
    # A third change their minds, all at once, and a few press the same button twice.
    for u in list(votes)[:20]:
        votes[u] = "about_right"
    replies = await asyncio.gather(
        *(service.handle_vote(pressed(f"poll:{week}:{votes[u]}", u), now=NOW) for u in list(votes)[:20] + list(votes)[40:45])
    )
    assert any("changed to about right" in r[0].plain_text() for r in replies)
    expected = {o: sum(1 for v in votes.values() if v == o) for o in options}
    assert await service.store.counts(CHANNEL, week) == expected
    async with sql_store.engine.begin() as conn:
        assert (await conn.execute(select(func.count()).select_from(nudge_votes))).scalar() == 60, "one vote per person"
    labels = [f"More meaning ({expected['meaning']})", f"More structure ({expected['structure']})", f"About right ({expected['about_right']})"]
    final = nudge_api.updates[ref][-1]
    assert [c["label"] for c in final["choices"]] == labels, "the message shows the final counts"
    assert all("U0" not in str(u) for u in nudge_api.updates[ref]), "no voter is named on the message"


async def test_a_vote_for_a_week_without_a_nudge_or_a_forged_value_is_not_counted(service):
    await _sent_nudge(service)
    for value in ("poll:2025-W20:meaning", "poll:2025-W14:everything", "quiz:lead"):
        replies = await service.handle_vote(pressed(value, "U1"), now=NOW)
        assert "poll has closed" in text_of(replies)
    assert await service.store.counts(CHANNEL, "2025-W14") == {}


async def test_forget_me_removes_votes_and_the_name_on_the_subscription_but_keeps_the_nudges(service, sql_store):
    week = await _sent_nudge(service)
    await service.handle_vote(pressed(f"poll:{week}:meaning", "U_ALEX"), now=NOW)
    await service.handle_vote(pressed(f"poll:{week}:structure", "U_SAM"), now=NOW)
    removed = await sql_store.forget_user("slack", "T1", "U_ALEX")
    assert removed == 2, "one vote and one attribution"
    assert await service.store.counts(CHANNEL, week) == {"structure": 1}
    sub = await service.store.subscription(CHANNEL)
    assert sub.active and sub.turned_on_by is None and sub.turned_on_by_name is None
    async with sql_store.engine.begin() as conn:
        rows = (await conn.execute(select(nudge_subscriptions))).all()
    assert all("U_ALEX" not in (r.turned_on_by or "") and "Alex" not in (r.turned_on_by_name or "") for r in rows)
    status = text_of(await service.handle_command(said("nudge", user="U_SAM", name="Sam"), now=NOW))
    assert "Turned on by a member of this channel" in status and "Alex" not in status


async def test_a_poll_closes_after_the_following_week_and_old_votes_are_purged(service, sql_store):
    week = await _sent_nudge(service)
    await service.handle_vote(pressed(f"poll:{week}:meaning", "U1"), now=NOW)
    late = await service.handle_vote(pressed(f"poll:{week}:structure", "U1"), now=NOW + timedelta(weeks=2))
    assert "poll has closed" in text_of(late)
    assert await service.store.counts(CHANNEL, week) == {"meaning": 1}
    purged = await service.store.purge(NOW + timedelta(weeks=8, days=1))
    assert purged["nudge_votes"] == 1 and await service.store.counts(CHANNEL, week) == {}
    assert purged["nudge_deliveries"] == 0, "the ledger is kept for the rotation's 52 weeks"
    assert (await service.store.purge(NOW + timedelta(weeks=61)))["nudge_deliveries"] == 1


async def test_an_adapter_hands_over_nudge_commands_and_poll_presses_and_gets_none_for_the_rest(service):
    assert await service.handle(said("my team keeps missing deadlines"), now=NOW) is None
    assert "every Monday" in text_of(await service.handle(said("nudge on"), now=NOW))
    assert await service.handle(pressed("useful:yes", "U1"), now=NOW) is None
    assert "poll has closed" in text_of(await service.handle(pressed("poll:2025-W14:meaning", "U1"), now=NOW))


async def test_a_teams_command_from_a_channel_thread_applies_to_the_channel(service):
    key = ConversationKey(platform="teams", workspace_id="tenant", user_id="29:abc", conversation_id="19:general@thread.tacv2;messageid=1712")
    await service.handle(Inbound(key=key, surface="mention", text="nudge on wednesday"), now=NOW)
    sub = await service.store.subscription(("teams", "tenant", "19:general@thread.tacv2"))
    assert sub is not None and sub.schedule.weekday == 2


async def test_a_paused_channel_says_why_and_nudge_on_starts_it_again(service):
    await service.handle_command(said("nudge on"), now=NOW)
    await service.store.pause(CHANNEL, "is_archived", NOW + timedelta(days=1))
    status = text_of(await service.handle_command(said("nudge"), now=NOW + timedelta(days=2)))
    assert "paused since 3 April 2025 because the channel was archived" in status and "nudge on" in status
    restarted = await service.handle_command(said("nudge on", user="U_SAM", name="Sam"), now=NOW + timedelta(days=2))
    assert "are on for this channel" in text_of(restarted)
    sub = await service.store.subscription(CHANNEL)
    assert sub.active and sub.turned_on_by == "U_SAM"
