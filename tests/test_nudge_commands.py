"""`nudge on|off|` and the poll, as a channel uses them: replies, what is kept, anonymous counts, forget me.

Most run over the in-memory nudge store: what a command says and keeps does not
depend on the database. Those about the database (many votes at once, "forget
me" across the tables, purging, the preview matching what the fan-out sends)
run on SQLite and the real PostgreSQL. Poll results travel over HTTP to the
fake platform API, which records each update of the channel's message.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.storage.nudge_store import SqlNudgeStore
from bot.storage.tables import metadata, nudge_subscriptions, poll_voters
from dialogs.models import ChoicePress, ConversationKey, Inbound
from dialogs.nudges.render import POLL_OPTIONS
from dialogs.nudges.store import LedgerRow, MemoryNudgeStore
from dialogs.store import MemoryStore
from tests.fakes.http_messenger import HttpMessenger
from tests.nudge_support import Nudges, utc

NOW = utc(2025, 4, 2, 15, 0)  # a Wednesday afternoon
CHANNEL = ("slack", "T1", "C_TEAM")
WEEK = "2025-W14"  # this week: the nudge went out on Monday 31 March


def said(
    text: str,
    user: str = "U_ALEX",
    name: str | None = "Alex Smith",
    event_id: str | None = None,
    channel: str = "C_TEAM",
) -> Inbound:
    key = ConversationKey(platform="slack", workspace_id="T1", user_id=user, conversation_id=channel)
    return Inbound(
        key=key, surface="slash", text=text, user_name=name, event_id=event_id, in_channel=not channel.startswith("D")
    )


def pressed(value: str, user: str) -> Inbound:
    key = ConversationKey(platform="slack", workspace_id="T1", user_id=user, conversation_id="C_TEAM")
    return Inbound(key=key, surface="button", choice=ChoicePress(value=value), in_channel=True, message_ref="slack-1")


def text_of(replies) -> str:
    return "\n".join(r.plain_text() for r in replies)


@pytest.fixture
async def messengers(nudge_api):
    ms = {p: HttpMessenger(p, nudge_api.url) for p in ("slack", "teams")}
    yield ms
    for m in ms.values():
        await m.close()


@pytest.fixture
def conversations_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def nudges(content, messengers, conversations_store) -> Nudges:
    store = MemoryNudgeStore()
    conversations_store.also_forget.append(store)
    return Nudges(content, store, messengers, events=conversations_store)


@pytest.fixture
async def sql_nudges(sql_store, content, messengers) -> Nudges:
    return Nudges(content, SqlNudgeStore(sql_store.engine), messengers, events=sql_store)


def went_out(nudges: Nudges, content, week: str = WEEK, ref: str | None = "slack-1") -> None:
    """This week's nudge reached the channel (what the fan-out records), in the memory store's ledger."""
    nudge_id = next(iter(content.nudges))
    nudges.store.ledger[(CHANNEL, week)] = LedgerRow(
        *CHANNEL, week, "sent", nudge_id, 1, None, None, None, None, ref, None
    )


# --- commands -----------------------------------------------------------------------------------


async def test_nudge_on_with_no_details_means_mondays_at_nine_london_time(nudges):
    text = text_of(await nudges.command(said("nudge on"), NOW))
    assert "every Monday at 09:00 (Europe/London)" in text and "England and Wales" in text
    assert "The next one is due on Monday 7 April at 09:00." in text
    sub = await nudges.store.subscription(CHANNEL)
    assert sub.active and sub.turned_on_by == "U_ALEX" and sub.turned_on_at == NOW


async def test_anyone_can_see_the_schedule_who_turned_it_on_and_a_preview_of_the_next_nudge(nudges):
    await nudges.command(said("nudge on thursday 2pm scotland"), NOW)
    status, preview = await nudges.command(said("nudge", user="U_SAM", name="Sam"), NOW)
    assert "every Thursday at 14:00 (Europe/London)" in status.plain_text() and "Scotland" in status.plain_text()
    assert "The next one is due on Thursday 3 April at 14:00." in status.plain_text()
    assert "Turned on by Alex Smith on 2 April 2025." in status.plain_text()
    assert preview.kind == "nudge" and preview.title.startswith("Preview: ") and preview.choices == []


async def test_changing_the_day_keeps_who_turned_it_on_and_off_forgets_them(nudges):
    await nudges.command(said("nudge on"), NOW)
    replies = await nudges.command(said("nudge on friday 08:30", user="U_SAM", name="Sam"), NOW + timedelta(hours=1))
    assert "schedule updated" in text_of(replies) and "every Friday at 08:30" in text_of(replies)
    assert (await nudges.store.subscription(CHANNEL)).turned_on_by == "U_ALEX"
    off = await nudges.command(said("nudge off", user="U_SAM"), NOW)
    assert "off for this channel" in text_of(off)
    sub = await nudges.store.subscription(CHANNEL)
    assert not sub.enabled and sub.turned_on_by is None and sub.turned_on_by_name is None
    assert "aren't on" in text_of(await nudges.command(said("nudge"), NOW))
    assert "weren't on" in text_of(await nudges.command(said("nudge off"), NOW))
    again = await nudges.command(said("nudge on"), NOW)
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
async def test_commands_it_cannot_read_get_a_plain_answer_and_change_nothing(nudges, text, expect):
    assert expect in text_of(await nudges.command(said(text), NOW))
    assert await nudges.store.subscription(CHANNEL) is None


async def test_a_repeated_delivery_of_the_same_command_is_answered_once(nudges):
    assert await nudges.command(said("nudge on", event_id="Ev1"), NOW)
    assert await nudges.command(said("nudge on", event_id="Ev1"), NOW) == []


async def test_in_a_direct_message_the_person_is_told_where_nudges_go_and_how_to_ask_there(nudges):
    result = await nudges.turns.handle(said("nudge on", channel="D_ALEX"), NOW)
    assert "for a team's channel" in text_of(result.replies) and "'/leadbot nudge on'" in text_of(result.replies)
    assert await nudges.store.subscriptions() == []


async def test_the_router_hands_over_nudge_commands_and_poll_presses_and_nothing_else(nudges):
    concerns = nudges.turns.concerns
    assert (
        concerns(said("nudge on")) and concerns(said("Nudges off")) and concerns(pressed("poll:2025-W14:meaning", "U1"))
    )
    assert not concerns(said("my team keeps missing deadlines")) and not concerns(pressed("useful:yes", "U1"))
    assert "every Monday" in text_of((await nudges.turns.handle(said("nudge on"), NOW)).replies)


async def test_a_teams_command_from_a_channel_thread_applies_to_the_channel(nudges):
    key = ConversationKey(
        platform="teams",
        workspace_id="tenant",
        user_id="29:abc",
        conversation_id="19:general@thread.tacv2;messageid=1712",
    )
    result = await nudges.turns.handle(
        Inbound(key=key, surface="mention", text="nudge on wednesday", in_channel=True), NOW
    )
    assert "'@leadbot nudge off'" in text_of(result.replies), "told how to address the bot in Teams"
    sub = await nudges.store.subscription(("teams", "tenant", "19:general@thread.tacv2"))
    assert sub is not None and sub.schedule.weekday == 2


async def test_a_paused_channel_says_why_and_nudge_on_starts_it_again(nudges):
    await nudges.command(said("nudge on"), NOW)
    await nudges.store.pause(CHANNEL, "is_archived", NOW + timedelta(days=1))
    status = text_of(await nudges.command(said("nudge"), NOW + timedelta(days=2)))
    assert "paused since 3 April 2025 because the channel was archived" in status and "nudge on" in status
    restarted = await nudges.command(said("nudge on", user="U_SAM", name="Sam"), NOW + timedelta(days=2))
    assert "are on for this channel" in text_of(restarted)
    sub = await nudges.store.subscription(CHANNEL)
    assert sub.active and sub.turned_on_by == "U_SAM"


# --- the poll -------------------------------------------------------------------------------------


async def test_a_vote_is_counted_once_per_person_and_shown_on_the_message_without_names(nudges, content, nudge_api):
    went_out(nudges, content)
    assert "your vote for meaning is counted" in text_of(await nudges.vote(pressed(f"poll:{WEEK}:meaning", "U1"), NOW))
    await nudges.vote(pressed(f"poll:{WEEK}:structure", "U2"), NOW)
    again = await nudges.vote(pressed(f"poll:{WEEK}:structure", "U1"), NOW)
    assert "already voted" in text_of(again) and "can't be changed" in text_of(again)
    assert await nudges.store.counts(CHANNEL, WEEK) == {"meaning": 1, "structure": 1}, "the second press is not counted"
    below = nudge_api.updates["slack-1"][-1]
    assert [c["label"] for c in below["choices"]] == [content.say(f"poll_{k}") for k in POLL_OPTIONS], (
        "two votes: no counts yet"
    )
    await nudges.vote(pressed(f"poll:{WEEK}:structure", "U3"), NOW)
    final = nudge_api.updates["slack-1"][-1]
    assert [c["label"] for c in final["choices"]] == ["More meaning (1)", "More structure (2)", "About right (0)"]
    assert "U1" not in str(nudge_api.updates["slack-1"]) and "U2" not in str(nudge_api.updates["slack-1"])


async def test_a_vote_for_a_week_without_a_nudge_or_a_forged_value_is_not_counted(nudges, content):
    went_out(nudges, content)
    for value in ("poll:2025-W20:meaning", "poll:2025-W14:everything", "quiz:lead"):
        assert "poll has closed" in text_of(await nudges.vote(pressed(value, "U1"), NOW))
    assert await nudges.store.counts(CHANNEL, WEEK) == {}


async def test_a_poll_closes_after_the_following_week(nudges, content):
    went_out(nudges, content)
    await nudges.vote(pressed(f"poll:{WEEK}:meaning", "U1"), NOW)
    await nudges.vote(pressed(f"poll:{WEEK}:about_right", "U2"), NOW + timedelta(weeks=1))
    late = await nudges.vote(pressed(f"poll:{WEEK}:structure", "U3"), NOW + timedelta(weeks=2))
    assert "poll has closed" in text_of(late)
    assert await nudges.store.counts(CHANNEL, WEEK) == {"meaning": 1, "about_right": 1}


async def test_a_press_on_a_nudge_whose_send_was_never_answered_teaches_the_ledger_its_message(
    nudges, content, nudge_api
):
    went_out(nudges, content, ref=None)
    await nudges.vote(pressed(f"poll:{WEEK}:meaning", "U1"), NOW)
    assert (await nudges.store.row(CHANNEL, WEEK)).message_ref == "slack-1"
    assert nudge_api.updates["slack-1"], "and the counts go on the pressed message"


async def test_forget_me_in_a_conversation_removes_votes_and_the_name_but_keeps_the_channels_nudges(
    nudges, content, conversations_store
):
    went_out(nudges, content)
    await nudges.command(said("nudge on"), NOW)
    await nudges.vote(pressed(f"poll:{WEEK}:meaning", "U_ALEX"), NOW)
    await nudges.vote(pressed(f"poll:{WEEK}:structure", "U_SAM"), NOW)
    assert await conversations_store.forget_user("slack", "T1", "U_ALEX") == 2, "one voter code and one attribution"
    assert await nudges.store.counts(CHANNEL, WEEK) == {"meaning": 1, "structure": 1}, (
        "the totals name nobody; they stay"
    )
    sub = await nudges.store.subscription(CHANNEL)
    assert sub.active and sub.turned_on_by is None and sub.turned_on_by_name is None
    status = text_of(await nudges.command(said("nudge", user="U_SAM", name="Sam"), NOW))
    assert "Turned on by a member of this channel" in status and "Alex" not in status


# --- on the real databases ----------------------------------------------------------------------------


async def _sent_nudge(nudges: Nudges) -> str:
    await nudges.command(said("nudge on"), NOW - timedelta(days=3))
    report = await nudges.send_due(utc(2025, 3, 31, 8, 0))
    assert report.sent == 1
    return WEEK


async def test_the_preview_is_the_nudge_that_goes_out(sql_nudges, nudge_api):
    await sql_nudges.command(said("nudge on thursday 2pm"), NOW)
    _status, preview = await sql_nudges.command(said("nudge"), NOW)
    report = await sql_nudges.send_due(utc(2025, 4, 3, 13, 0))
    assert report.sent == 1
    assert "Preview: " + nudge_api.posts[0].reply["title"] == preview.title


async def test_many_people_voting_at_once_get_exact_anonymous_counts_on_the_message(sql_nudges, nudge_api, sql_store):
    week = await _sent_nudge(sql_nudges)
    ref = nudge_api.posts[0].ref
    options = list(POLL_OPTIONS)
    votes = {f"U{i:03d}": options[i % 3] for i in range(60)}
    await asyncio.gather(*(sql_nudges.vote(pressed(f"poll:{week}:{o}", u), NOW) for u, o in votes.items()))
    # A third press another button, all at once, and a few press the same button twice: none of it counts.
    again = list(votes)[:20] + list(votes)[40:45]
    replies = await asyncio.gather(*(sql_nudges.vote(pressed(f"poll:{week}:about_right", u), NOW) for u in again))
    assert all("already voted" in r[0].plain_text() for r in replies)
    expected = {o: sum(1 for v in votes.values() if v == o) for o in options}
    assert await sql_nudges.store.counts(CHANNEL, week) == expected
    async with sql_store.engine.begin() as conn:
        assert (await conn.execute(select(func.count()).select_from(poll_voters))).scalar() == 60, (
            "one voter per person"
        )
    labels = [
        f"More meaning ({expected['meaning']})",
        f"More structure ({expected['structure']})",
        f"About right ({expected['about_right']})",
    ]
    final = nudge_api.updates[ref][-1]
    assert [c["label"] for c in final["choices"]] == labels, "the message shows the final counts"
    assert all("U0" not in str(u) for u in nudge_api.updates[ref]), "no voter is named on the message"


async def test_forget_me_removes_votes_and_the_name_on_the_subscription_but_keeps_the_nudges(sql_nudges, sql_store):
    week = await _sent_nudge(sql_nudges)
    await sql_nudges.vote(pressed(f"poll:{week}:meaning", "U_ALEX"), NOW)
    await sql_nudges.vote(pressed(f"poll:{week}:structure", "U_SAM"), NOW)
    removed = await sql_store.forget_user("slack", "T1", "U_ALEX")
    assert removed == 3, "one voter code, one attribution, and the 'who' of the audit log's nudge_on"
    assert await sql_nudges.store.counts(CHANNEL, week) == {"meaning": 1, "structure": 1}, "the totals name nobody"
    async with sql_store.engine.begin() as conn:
        assert (await conn.execute(select(func.count()).select_from(poll_voters))).scalar() == 1, (
            "only Sam's code is left"
        )
    sub = await sql_nudges.store.subscription(CHANNEL)
    assert sub.active and sub.turned_on_by is None and sub.turned_on_by_name is None
    async with sql_store.engine.begin() as conn:
        rows = (await conn.execute(select(nudge_subscriptions))).all()
    assert all("U_ALEX" not in (r.turned_on_by or "") and "Alex" not in (r.turned_on_by_name or "") for r in rows)
    status = text_of(await sql_nudges.command(said("nudge", user="U_SAM", name="Sam"), NOW))
    assert "Turned on by a member of this channel" in status and "Alex" not in status


async def test_old_totals_are_purged_and_the_ledger_is_kept_for_the_rotation(sql_nudges):
    week = await _sent_nudge(sql_nudges)
    await sql_nudges.vote(pressed(f"poll:{week}:meaning", "U1"), NOW)
    purged = await sql_nudges.store.purge(NOW + timedelta(weeks=8, days=1))
    assert purged["poll_tallies"] == 1 and await sql_nudges.store.counts(CHANNEL, week) == {}
    assert purged["nudge_deliveries"] == 0, "the ledger is kept for the rotation's 52 weeks"
    assert (await sql_nudges.store.purge(NOW + timedelta(weeks=61)))["nudge_deliveries"] == 1


async def test_a_repeated_delivery_is_answered_once_across_replicas(sql_nudges, sql_store, content, messengers):
    other_replica = Nudges(content, SqlNudgeStore(sql_store.engine), messengers, events=sql_store)
    assert await sql_nudges.command(said("nudge on", event_id="Ev1"), NOW)
    assert await other_replica.command(said("nudge on", event_id="Ev1"), NOW) == []


async def test_once_a_poll_closes_no_row_in_any_table_links_a_person_to_a_choice(sql_nudges, sql_store, nudge_api):
    """While open, only a hash per voter (no choice) stops a second vote; after close even that is gone.
    Read every table leadbot has, as a database administrator could."""
    week = await _sent_nudge(sql_nudges)
    voters = {"U_ALEX": "meaning", "U_SAM": "structure", "U_JO": "meaning", "U_KIM": "about_right"}
    for user, choice in voters.items():
        await sql_nudges.vote(pressed(f"poll:{week}:{choice}", user), NOW)

    async def every_row() -> list[str]:
        async with sql_store.engine.begin() as conn:
            return [
                f"{table.name}: {dict(row._mapping)}"
                for table in metadata.sorted_tables
                for row in (await conn.execute(select(table))).all()
            ]

    def linked(rows: list[str]) -> list[str]:
        return [r for r in rows if any(u in r for u in voters) and any(c in r for c in POLL_OPTIONS)]

    while_open = await every_row()
    assert not linked(while_open), "no row holds a user id and a choice, even while the poll is open"
    assert not [r for r in while_open if r.startswith("poll_") and any(u in r for u in voters)]
    assert [r for r in while_open if r.startswith("poll_voters")], "a code per voter, so nobody votes twice"
    assert not [r for r in while_open if r.startswith("poll_voters") and any(c in r for c in POLL_OPTIONS)]

    # The week after next: the poll has closed; the retention run (hourly in `leadbot serve`) drops the codes.
    closed_at = NOW + timedelta(weeks=2, days=1)
    assert "poll has closed" in text_of(await sql_nudges.vote(pressed(f"poll:{week}:meaning", "U_NEW"), closed_at))
    purged = await sql_nudges.store.purge(closed_at)
    assert purged["poll_voters"] == 4
    after = await every_row()
    assert not [r for r in after if r.startswith("poll_voters")]
    assert not linked(after), "no user id linked to a choice anywhere"
    assert await sql_nudges.store.counts(CHANNEL, week) == {"meaning": 2, "structure": 1, "about_right": 1}, (
        "the totals stay"
    )


async def test_the_voter_code_differs_in_every_poll_so_polls_cannot_be_matched_up():
    from dialogs.nudges.store import voter_hash

    one = voter_hash(CHANNEL, "2025-W14", "U_ALEX")
    assert (
        one != voter_hash(CHANNEL, "2025-W15", "U_ALEX") != voter_hash(("slack", "T1", "C_OTHER"), "2025-W14", "U_ALEX")
    )
    assert "U_ALEX" not in one and one == voter_hash(CHANNEL, "2025-W14", "U_ALEX")
