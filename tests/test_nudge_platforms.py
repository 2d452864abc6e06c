"""Weekly nudges end to end on both platforms, over real HTTP on loopback.

A channel turns nudges on the way people do it (`/leadbot nudge on` in Slack,
`@leadbot nudge on` in Teams); the scheduler's own `send_due` posts the nudge
through the real Slack and Teams messengers to the local fakes; people vote
with the poll's buttons and the nudge itself shows the anonymous counts
(chat.update in Slack, updateActivity in Teams), but only once
LEADBOT_POLL_MIN_VOTES people have voted: below that, no update shows a count.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.server.app import NUDGE_SCHEDULER
from bot.storage.tables import nudge_subscriptions
from dialogs.nudges.schedule import slot_at
from tests.fakes.slack_harness import T1_TOKEN, alice, leadbot, slack_settings, workspace, world  # noqa: F401 - fixtures
from tests.fakes.teams_client import TeamsChannel, TeamsUser, channel_mention, submit
from tests.nudge_support import LONG_AGO, ledger

POLL = ["More meaning", "More structure", "About right"]
COUNT_SIGNS = re.compile(r"\(\d+\)|\d+ votes?\b|votes so far|[\u2588\u2591]|(meaning|structure|about right) \d")


def counts_shown(text: str, minimum: int = 3) -> bool:
    """A count of any kind on the message (on a button, as a total, as a bar), the minimum itself aside."""
    return bool(COUNT_SIGNS.search(text.replace(f"Results appear after {minimum} votes", "")))


async def turned_on_long_ago(engine) -> None:
    """As if the channel had turned nudges on weeks ago, so this week's nudge is due to it."""
    async with engine.begin() as conn:
        await conn.execute(update(nudge_subscriptions).values(turned_on_at=LONG_AGO))


async def send_this_weeks(app) -> datetime:
    """Run the scheduler's send_due just after this week's slot of the (only) subscribed channel."""
    scheduler = app[NUDGE_SCHEDULER]
    (sub,) = await scheduler.store.subscriptions()
    slot = slot_at(sub.schedule, datetime.now(UTC))
    assert slot.sendable, "every week of the year has a working day"
    at = slot.due_at + timedelta(minutes=1)
    report = await scheduler.send_due(at)
    assert report.ok and report.sent == 1, vars(report)
    return at


# --- Slack -----------------------------------------------------------------------------------


async def test_slack_channel_gets_its_nudge_once_and_counts_show_only_from_the_third_vote(
    world, workspace, leadbot, alice
):
    answer = (await alice.command("nudge on", channel="C0TEAM"))[-1]
    assert answer.args.get("response_type") == "ephemeral"
    assert "Weekly nudges are on" in answer.all_text() and "'/leadbot nudge off'" in answer.all_text()

    await turned_on_long_ago(leadbot.services.db)
    at = await send_this_weeks(leadbot.app)
    (nudge,) = world.fake.of("chat.postMessage", channel="C0TEAM")
    assert nudge.header() and [b["text"]["text"] for b in nudge.buttons()] == POLL
    assert "This week we need more" in nudge.all_text() and "Results appear after 3 votes" in nudge.all_text()

    bob = world.manager(workspace, user="U0BOB", dm_channel="D0BOB")
    carol = world.manager(workspace, user="U0CAROL", dm_channel="D0CAROL")
    await alice.press(nudge, "More meaning")
    thanks = alice.responses(f"press-{workspace.team_id}-U0ALICE")[-1]
    assert thanks.args.get("response_type") == "ephemeral" and "your vote for meaning is counted" in thanks.all_text()
    await bob.press(nudge, "More meaning")
    await alice.press(nudge, "More structure")  # a second press is refused, not added or moved
    assert "already voted" in alice.responses(f"press-{workspace.team_id}-U0ALICE")[-1].all_text()

    below = world.fake.of("chat.update", channel="C0TEAM")
    assert below, "the message was updated after the votes"
    for update_ in below:
        assert "Results appear after 3 votes" in update_.all_text()
        assert [b["text"]["text"] for b in update_.buttons()] == POLL
        assert not counts_shown(update_.all_text()), "two votes: no count anywhere on the message"

    await carol.press(nudge, "More structure")
    updates = world.fake.of("chat.update", channel="C0TEAM")
    assert all(u.args["ts"] == nudge.args["ts"] for u in updates)
    final = updates[-1].all_text()
    assert "meaning 2, structure 1, about right 0 (3 votes so far" in final and "Results appear after" not in final
    assert "`\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2591\u2591\u2591` More meaning 2" in final, (
        "the results as bars in the message itself"
    )
    assert "U0ALICE" not in final and "U0BOB" not in final  # counts, never names
    assert [b["text"]["text"] for b in updates[-1].buttons()] == [
        "More meaning (2)",
        "More structure (1)",
        "About right (0)",
    ]
    assert not world.fake.of("chat.postMessage", channel="C0TEAM")[1:], "a vote is never answered in the channel"

    # The scheduler running again (every minute, on every replica) never sends the week's nudge twice.
    report = await leadbot.app[NUDGE_SCHEDULER].send_due(at + timedelta(minutes=5))
    assert report.sent == 0 and len(world.fake.of("chat.postMessage", channel="C0TEAM")) == 1


async def test_slack_poll_minimum_comes_from_the_setting(world, workspace, tmp_path, cache_dir):
    settings = slack_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'five.db'}", world.fake, cache_dir, token=T1_TOKEN, LEADBOT_POLL_MIN_VOTES=5
    )
    bot = await world.add_leadbot(settings)
    people = [world.manager(workspace, user=f"U0P{i}", dm_channel=f"D0P{i}") for i in range(5)]
    await people[0].command("nudge on", channel="C0FIVE")
    await turned_on_long_ago(bot.services.db)
    await send_this_weeks(bot.app)
    (nudge,) = world.fake.of("chat.postMessage", channel="C0FIVE")
    assert "Results appear after 5 votes" in nudge.all_text()
    for person in people[:4]:
        await person.press(nudge, "About right")
    assert not any(counts_shown(u.all_text(), 5) for u in world.fake.of("chat.update", channel="C0FIVE")), (
        "four of five"
    )
    await people[4].press(nudge, "More meaning")
    final = world.fake.of("chat.update", channel="C0FIVE")[-1]
    assert [b["text"]["text"] for b in final.buttons()] == ["More meaning (1)", "More structure (0)", "About right (4)"]


async def test_slack_nudge_status_and_off_in_a_channel_and_a_polite_no_in_a_dm(world, workspace, leadbot, alice):
    await alice.command("nudge on friday 14:30", channel="C0TEAM")
    status = await alice.command("nudge", channel="C0TEAM")
    text = " ".join(s.all_text() for s in status)
    assert "every Friday at 14:30" in text and "Turned on by" in text
    assert "Preview:" in text, "the status shows the next nudge"
    off = (await alice.command("nudge off", channel="C0TEAM"))[-1]
    assert "Weekly nudges are off" in off.all_text()
    assert not (await leadbot.services.nudge_store.subscription(("slack", workspace.team_id, "C0TEAM"))).enabled

    reply = await alice.dm("nudge on")
    assert "for a team's channel" in reply.all_text()
    assert [s.channel_id for s in await leadbot.services.nudge_store.subscriptions()] == ["C0TEAM"]


async def test_slack_channel_the_bot_was_removed_from_is_paused_and_says_why(world, workspace, leadbot, alice):
    await alice.command("nudge on", channel="C0GONE")
    await turned_on_long_ago(leadbot.services.db)
    world.fake.channel_errors["C0GONE"] = "channel_not_found"
    scheduler = leadbot.app[NUDGE_SCHEDULER]
    (sub,) = await scheduler.store.subscriptions()
    slot = slot_at(sub.schedule, datetime.now(UTC))
    report = await scheduler.send_due(slot.due_at + timedelta(minutes=1))
    assert report.paused == 1 and report.sent == 0
    del world.fake.channel_errors["C0GONE"]
    status = " ".join(s.all_text() for s in await alice.command("nudge", channel="C0GONE"))
    assert "paused" in status and "could not be found" in status


async def test_slack_nudge_status_names_the_person_who_turned_them_on(world, workspace, leadbot):
    jo = world.manager(workspace, user="U0JO", dm_channel="D0JO", name="jo.evans")
    sam = world.manager(workspace, user="U0SAM", dm_channel="D0SAM", name="sam.patel")
    await jo.command("nudge on", channel="C0TEAM")
    status = " ".join(s.all_text() for s in await sam.command("nudge", channel="C0TEAM"))
    assert "Turned on by jo.evans on " in status, status
    assert "a member of this channel" not in status


# --- Teams -----------------------------------------------------------------------------------

TENANT = "6e1c2a3b-9f8d-4c7b-a6e5-d4c3b2a1f0e9"
JO = TeamsUser(TENANT, "0b6f5c1e-2d3a-4e5f-8a9b-1c2d3e4f5a6b", "Jo Evans")
SAM = TeamsUser(TENANT, "7c2e4a6b-8d0f-4123-9456-7890abcdef12", "Sam Patel")
CHANNEL = TeamsChannel(TENANT)


KIM = TeamsUser(TENANT, "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "Kim Lee")


async def test_teams_channel_gets_its_nudge_and_the_card_shows_counts_only_from_the_third_vote(teams, connector):
    (answer,) = await teams.send(channel_mention(connector.service_url, JO, CHANNEL, "nudge on"))
    said = " ".join(answer.texts)
    assert "Weekly nudges are on" in said and "'@leadbot nudge off'" in said

    await turned_on_long_ago(teams.bot.services.db)
    await send_this_weeks(teams.bot.app)
    nudges = [s for s in connector.sent if s.kind == "send" and s.conversation_id == CHANNEL.channel_id]
    assert len(nudges) == 1, "one new post in the channel itself, through the stored conversation reference"
    nudge = nudges[0]
    assert [a["title"] for a in nudge.actions] == POLL and nudge.body.get("summary")
    assert "Results appear after 3 votes" in " ".join(nudge.texts)

    after_nudge = len(connector.sent)
    for user, choice in ((JO, "More meaning"), (SAM, "More structure"), (JO, "About right")):
        status, _ = await teams.post(submit(connector.service_url, user, nudge, nudge.action(choice)["data"]))
        assert status in (200, 202)
        await teams.bot.settle()
    below = [s for s in connector.sent if s.kind == "update"]
    assert below, "the card was updated after the votes"
    for card in below:
        assert "Results appear after 3 votes" in " ".join(card.texts)
        assert [a["title"] for a in card.actions] == POLL
        assert not counts_shown(" ".join(card.texts)), "two people voted (Jo's second press is refused): no count"

    status, _ = await teams.post(submit(connector.service_url, KIM, nudge, nudge.action("About right")["data"]))
    await teams.bot.settle()
    updates = [s for s in connector.sent if s.kind == "update"]
    assert all(u.activity_id == nudge.id and u.conversation_id == CHANNEL.channel_id for u in updates)
    final = " ".join(updates[-1].texts)
    assert "meaning 1, structure 1, about right 1 (3 votes so far" in final
    assert [a["title"] for a in updates[-1].actions] == ["More meaning (1)", "More structure (1)", "About right (1)"]
    # No thanks in the channel: it would tell everyone how each person voted.
    assert {s.kind for s in connector.sent[after_nudge:]} == {"update"}
    rows = await ledger(teams.bot.services.db)
    assert [r.status for r in rows.values() if r.status != "skipped"] == [
        "sent"
    ]  # earlier weeks: recorded as missed, never sent late


async def test_teams_poll_minimum_comes_from_the_setting(tmp_path, cache_dir, connector):
    from bot.settings import Settings
    from tests.fakes.teams_client import TeamsClient, running_leadbot

    settings = Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'four.db'}",
        LEADBOT_CACHE_DIR=str(cache_dir),
        LEADBOT_POLL_MIN_VOTES=4,
    )
    async with running_leadbot(settings) as bot:
        client = TeamsClient(bot, connector)
        try:
            await client.send(channel_mention(connector.service_url, JO, CHANNEL, "nudge on"))
            await turned_on_long_ago(bot.services.db)
            await send_this_weeks(bot.app)
            (nudge,) = [s for s in connector.sent if s.kind == "send" and s.conversation_id == CHANNEL.channel_id]
            assert "Results appear after 4 votes" in " ".join(nudge.texts)
            for user in (JO, SAM, KIM):
                await client.post(submit(connector.service_url, user, nudge, nudge.action("More structure")["data"]))
                await bot.settle()
            updates = [s for s in connector.sent if s.kind == "update"]
            assert updates and not any(counts_shown(" ".join(u.texts), 4) for u in updates), "three of four: no count"
        finally:
            await client.close()


async def test_teams_personal_chat_cannot_turn_nudges_on(teams, connector):
    (reply,) = await teams.say(JO, "nudge on")
    assert "for a team's channel" in " ".join(reply.texts)
    assert await teams.bot.services.nudge_store.subscriptions() == []


async def test_teams_nudge_status_names_the_person_who_turned_them_on(teams, connector):
    await teams.send(channel_mention(connector.service_url, JO, CHANNEL, "nudge on"))
    (status, _preview) = await teams.send(channel_mention(connector.service_url, SAM, CHANNEL, "nudge"), replies=2)
    said = " ".join(status.texts)
    assert "Turned on by Jo Evans on " in said, said
    assert "a member of this channel" not in said
