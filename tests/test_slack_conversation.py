"""A manager's conversation with leadbot in a Slack DM, end to end over loopback.

Signed message.im events and block_actions go to the real aiohttp app; what
leadbot posts is what the fake Slack Web API recorded.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.tables import conversation_state, user_settings
from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import alice, leadbot, workspace, world  # noqa: F401

VAGUE = "things are a bit off with the team"


def labels(call) -> list[str]:
    return [b["text"]["text"] for b in call.buttons()]


async def reach_diagnosis(alice, content):
    """DM a problem; go through the quick test (pressing "Not quite" first if a diagnosis came straight away)."""
    msgs = content.messages.choice_labels
    reply = await alice.dm(VAGUE)
    if msgs["why"] in labels(reply):
        [reply] = await alice.press(reply, msgs["not_quite"])
    asked = 0
    while msgs["why"] not in labels(reply):
        assert reply.header().startswith("Quick test"), reply.header()
        asked += 1
        assert asked <= 4, "the quick test asks at most four questions"
        posts = await alice.press(reply, labels(reply)[0])  # the first answer each time
        reply = posts[-1]
    return reply, asked


async def test_a_whole_conversation_through_buttons(alice, world, content):
    msgs = content.messages
    labels_ = msgs.choice_labels
    diagnosis, asked = await reach_diagnosis(alice, content)
    assert asked >= 1
    # the diagnosis: a headline, the quotation's source in a context block, a next step, the coaching buttons
    kinds = [b["type"] for b in diagnosis.blocks]
    assert kinds[0] == "header" and "context" in kinds and kinds[-1] == "actions"
    assert "Next step:" in diagnosis.all_text()
    assert diagnosis.text.strip(), "a plain-text fallback for notifications and screen readers"
    assert labels(diagnosis) == [labels_["done"], labels_["not_quite"], labels_["another_step"], labels_["why"]]

    [why] = await alice.press(diagnosis, labels_["why"])
    assert why.header() == "Why I said that"
    # the pressed message lost its buttons and says what was chosen
    update = world.fake.of("chat.update", ts=diagnosis.args["ts"])[-1]
    assert not [b for b in update.blocks if b["type"] == "actions"]
    assert f"You chose: {labels_['why']}" in update.all_text()

    [done] = await alice.press(why, labels_["done"])
    assert msgs.feedback_question in done.all_text()
    [thanks] = await alice.press(done, labels_["useful_yes"])
    assert msgs.feedback_thanks in thanks.all_text()
    assert not thanks.buttons()
    report = await alice.bots[0].services.store.feedback_report()
    assert sum(useful for _, useful, _ in report) == 1, "the feedback was counted once"


async def test_a_stale_button_gets_a_polite_answer_and_the_live_choices(alice, world, content):
    labels_ = content.messages.choice_labels
    first = await alice.dm(VAGUE)
    if labels_["why"] in labels(first):
        [first] = await alice.press(first, labels_["not_quite"])
    await alice.press(first, labels(first)[0])  # answered: the first question's buttons are now stale
    posts = await alice.press(first, labels(first)[1])  # pressed again, later, on the old message
    [stale] = posts
    assert content.messages.stale_choice in stale.all_text()
    assert stale.buttons(), "the answer offers the choices that are live now"
    attempts = [c for c in world.fake.attempts if c.method == "chat.postMessage"]
    assert len(attempts) == len(world.fake.of("chat.postMessage")), "Slack accepted every message"


async def test_a_repeated_press_of_the_same_delivery_is_answered_once(alice, world, content):
    reply = await alice.dm(VAGUE)
    button = reply.buttons()[0]
    payload = rq.block_actions(
        alice.team, alice.user, alice.dm_channel, button, world.fake.response_url("x"), message=rq.message_of(reply)
    )
    before = len(alice.posts())
    for _ in range(2):  # the same interaction delivered twice (same trigger_id)
        assert (await alice.slack.interaction(payload)).status == 200
    await alice.settle()
    assert len(alice.posts()) == before + 1


async def test_help_and_what_is_stored(alice, content):
    help_ = await alice.dm("help")
    assert help_.header() == content.messages.help_title
    stored = await alice.dm("what do you store?")
    assert stored.header() == content.messages.privacy_intro
    for row in content.messages.stored:
        assert row.what in stored.all_text()
    assert "30 days" in stored.all_text(), "{retention_days} filled in"


async def test_a_sensitive_matter_is_not_coached(alice, content):
    reply = await alice.dm("my colleague keeps making racist comments about her")
    text = reply.all_text()
    assert content.escalation.intro in text
    assert "Next step:" not in text
    assert not reply.buttons()


async def test_a_false_alarm_can_be_set_aside_and_the_problem_told_again(alice, leadbot, content, false_alarm):
    not_sensitive = content.escalation.not_sensitive
    esc = await alice.dm(false_alarm)
    assert content.escalation.intro in esc.all_text() and "Next step:" not in esc.all_text()
    assert labels(esc) == [not_sensitive.label], "the only button: the way back from a false alarm"

    [asked] = await alice.press(esc, not_sensitive.label)
    assert not_sensitive.reply in asked.all_text()
    assert "Next step:" not in asked.all_text() and not asked.buttons(), "the flagged message is not coached"
    assert (
        leadbot.metrics.registry.get_sample_value(
            "leadbot_turns_total", {"platform": "slack", "event": "not_sensitive"}
        )
        == 1
    )

    again = await alice.dm(false_alarm)
    assert content.escalation.intro not in again.all_text(), "told again, it is read as a team problem"
    assert again.buttons(), "with the diagnosis's or the quick test's buttons"


async def test_app_home_shows_what_it_does_stores_and_settings(alice, world, content):
    resp = await alice.slack.event(
        rq.event_envelope(alice.team, rq.home_opened_event(alice.user), alice.workspace.bot_user_id)
    )
    assert resp.status == 200
    await alice.settle()
    [publish] = world.fake.of("views.publish")
    assert publish.args["user_id"] == alice.user
    view = publish.args["view"]
    home = rq.Call("views.publish", None, {"blocks": view["blocks"]})
    text = home.all_text()
    assert view["type"] == "home"
    assert content.messages.about[0] in text
    for row in content.messages.stored:
        assert row.what in text
    assert "30 days after your last message" in text
    assert "Show the quotation behind each suggestion: *On*" in text


async def test_the_messages_tab_does_not_publish_the_home_view(alice, world):
    await alice.slack.event(
        rq.event_envelope(alice.team, rq.home_opened_event(alice.user, tab="messages"), alice.workspace.bot_user_id)
    )
    await alice.settle()
    assert world.fake.of("views.publish") == []


async def test_turning_quotations_off_is_kept_and_used(alice, world, content):
    await turn_quotations_off(alice, world)
    first, again = world.fake.of("views.publish")
    assert "Turn off" in home_text(first)
    assert "Show the quotation behind each suggestion: *Off*" in home_text(again)
    assert "Turn on" in home_text(again)

    diagnosis, _ = await reach_diagnosis(alice, content)
    assert "context" not in [b["type"] for b in diagnosis.blocks], "no quotation once turned off"
    assert "Next step:" in diagnosis.all_text()


async def test_after_forget_me_quotations_are_shown_again_at_once(alice, world, content):
    """The setting is kept in memory for a while between reads; "forget me" drops it there too."""
    await turn_quotations_off(alice, world)
    diagnosis, _ = await reach_diagnosis(alice, content)
    assert "context" not in [b["type"] for b in diagnosis.blocks]
    await alice.dm("forget me")
    diagnosis, _ = await reach_diagnosis(alice, content)
    assert "context" in [b["type"] for b in diagnosis.blocks], "the quotation is back: the setting was forgotten"


async def turn_quotations_off(alice, world) -> None:
    await alice.slack.event(
        rq.event_envelope(alice.team, rq.home_opened_event(alice.user), alice.workspace.bot_user_id)
    )
    await alice.settle()
    home = world.fake.of("views.publish")[-1]
    toggle = next(b["accessory"] for b in home.args["view"]["blocks"] if b.get("accessory"))
    await alice.slack.interaction(rq.home_block_actions(alice.team, alice.user, toggle))
    await alice.settle()


def home_text(call) -> str:
    return rq.Call("views.publish", None, {"blocks": call.args["view"]["blocks"]}).all_text()


async def test_forget_me_deletes_the_conversation_and_settings(alice, world, leadbot):
    await alice.dm(VAGUE)
    await turn_quotations_off(alice, world)
    assert "*Off*" in home_text(world.fake.of("views.publish")[-1])

    reply = await alice.dm("forget me")
    assert "deleted everything" in reply.all_text()
    async with leadbot.services.db.connect() as conn:
        for table in (conversation_state, user_settings):
            rows = (await conn.execute(select(table).where(table.c.user_id == alice.user))).all()
            assert rows == [], f"{table.name} still holds rows about the manager"
    await alice.slack.event(
        rq.event_envelope(alice.team, rq.home_opened_event(alice.user), alice.workspace.bot_user_id)
    )
    await alice.settle()
    assert "*On*" in home_text(world.fake.of("views.publish")[-1]), "the setting went back to its default"
