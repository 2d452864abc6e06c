"""Teams end to end over loopback: Activities as Teams sends them -> leadbot -> the fake Bot Framework connector.

Personal chat, card submits, help and forget me, stale and unknown submits,
two tenants, redeliveries, a channel @mention and "continue in a private chat".
"""

from __future__ import annotations

from bot.settings import Settings
from tests.fakes.bot_connector import Sent
from tests.fakes.teams_client import (
    TeamsChannel,
    TeamsClient,
    TeamsUser,
    channel_mention,
    personal_message,
    submit,
)

TENANT_A = "1c5e2f4a-0000-4000-8000-00000000000a"
TENANT_B = "1c5e2f4a-0000-4000-8000-00000000000b"
SAM = TeamsUser(TENANT_A, "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a")

NOT_QUITE = "Not quite, ask me questions"
CONTINUE = "Continue in a private chat"


def settings_for(database_url: str, cache_dir, **extra) -> Settings:
    return Settings(_env_file=None, DATABASE_URL=database_url, LEADBOT_CACHE_DIR=str(cache_dir), **extra)


def _labels(message: Sent) -> list[str]:
    return [a["title"] for a in message.actions]


async def _reach_diagnosis(teams: TeamsClient, user: TeamsUser, text: str) -> Sent:
    """Describe a problem, go through the quick test by pressing buttons, return the diagnosis card."""
    (reply,) = await teams.say(user, text)
    if NOT_QUITE in _labels(reply):
        (reply,) = await teams.press(user, reply, NOT_QUITE)
    for _ in range(5):
        if reply.card and reply.texts[0].startswith("Quick test"):
            (reply,) = await teams.press(user, reply, _labels(reply)[0])
        else:
            return reply
    raise AssertionError("the quick test never finished")


async def test_a_whole_conversation_through_card_submits(teams, connector):
    diagnosis = await _reach_diagnosis(teams, SAM, "my team is struggling and I don't know where to start")
    card = diagnosis.card
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.2"
    assert diagnosis.kind == "reply" and diagnosis.conversation_id == SAM.personal_conversation
    assert "Next step" in diagnosis.texts, "the diagnosis shows a next step"
    assert any(t.startswith("\u201c") for t in diagnosis.texts), "and the quotation behind it"
    assert any(t.startswith("\u2014 ") for t in diagnosis.texts), "with its source"
    assert {"That's it", NOT_QUITE, "Another step", "Why?"} <= set(_labels(diagnosis))
    assert diagnosis.body["summary"] and card["fallbackText"], (
        "a plain-text fallback for notifications and screen readers"
    )
    data = diagnosis.action("Why?")["data"]
    assert data["leadbot"] == "choice" and data["value"] == "why" and data["token"]

    (why,) = await teams.press(SAM, diagnosis, "Why?")
    assert why.texts and "That's it" in _labels(why)
    (done,) = await teams.press(SAM, why, "That's it")
    assert "Was this useful?" in done.texts
    (thanks,) = await teams.press(SAM, done, "Yes, useful")
    assert thanks.texts == ["Thank you, that helps me improve."]
    assert thanks.actions == []
    assert teams.bot.counter("leadbot_turns_total", platform="teams", event="feedback") == 1


async def test_a_false_alarm_can_be_set_aside_and_the_problem_told_again(teams, content, false_alarm):
    not_sensitive = content.escalation.not_sensitive
    (esc,) = await teams.say(SAM, false_alarm)
    assert content.escalation.intro in esc.texts and "Next step" not in esc.texts
    assert _labels(esc) == [not_sensitive.label], "the only button: the way back from a false alarm"
    assert esc.action(not_sensitive.label)["data"]["value"] == "not_sensitive"

    (asked,) = await teams.press(SAM, esc, not_sensitive.label)
    assert asked.texts == [not_sensitive.reply] and asked.actions == [], "the flagged message is not coached"
    assert teams.bot.counter("leadbot_turns_total", platform="teams", event="not_sensitive") == 1

    (again,) = await teams.say(SAM, false_alarm)
    assert content.escalation.intro not in again.texts, "told again, it is read as a team problem"
    assert again.actions, "with the diagnosis's or the quick test's buttons"


async def test_a_stale_or_repeated_press_gets_a_polite_answer(teams):
    diagnosis = await _reach_diagnosis(teams, SAM, "my team is struggling and I don't know where to start")
    (why,) = await teams.press(SAM, diagnosis, "Why?")
    (stale,) = await teams.press(SAM, diagnosis, "Another step")  # a button on the earlier card
    assert stale.texts[0].startswith("That button belongs to an earlier part of our conversation")
    assert set(_labels(stale)) == set(_labels(why)), "it offers the choices that are live now"
    # pressing one of those works
    (after,) = await teams.press(SAM, stale, "That's it")
    assert "Was this useful?" in after.texts


async def test_a_submit_payload_we_never_sent_gets_a_polite_reply(teams, connector):
    (greeting,) = await teams.say(SAM, "hello")
    for value in ({"action": "approve"}, "just a string", {"leadbot": "choice", "value": "x" * 5000}, [1, 2, 3]):
        (reply,) = await teams.send(submit(connector.service_url, SAM, greeting, value))
        assert reply.texts[0].startswith("That button belongs to an earlier part of our conversation")


async def test_help_and_forget_me(teams, connector):
    (help_card,) = await teams.say(SAM, "help")
    assert help_card.texts[0] == "How leadbot works"
    assert len(help_card.texts) >= 4 and help_card.card["fallbackText"].startswith("How leadbot works")

    (store,) = await teams.say(SAM, "what do you store?")
    assert any(t.startswith("Kept for 30 days") for t in store.texts), "the privacy table renders each row"
    assert not any("Kept: Kept" in t or "Kept for: " in t for t in store.texts), "how long is said once, not twice"

    await _reach_diagnosis(teams, SAM, "my team is struggling and I don't know where to start")
    (forgotten,) = await teams.say(SAM, "forget me")
    assert forgotten.texts[0].startswith("Done. I've deleted everything I held about you")
    (again,) = await teams.say(SAM, "forget me")
    assert "(0 records)" in again.texts[0], "nothing was left to delete"


async def test_asking_the_difference_gets_the_idea_its_quotation_and_an_invitation_on_one_card(teams, content):
    m = content.messages
    (card,) = await teams.say(SAM, "So what's the difference between a leader and a manager?")
    assert card.texts[0] == m.concept_title and all(line in card.texts for line in m.concept)
    quote = content.principles["meaning-or-structure"].quote
    assert any(quote.text in t for t in card.texts), card.texts
    assert card.texts.index(m.concept_invite) > max(i for i, t in enumerate(card.texts) if quote.text in t)
    assert not card.actions, "nothing to press: the next move is the manager's to describe"
    assert card.card["fallbackText"].startswith(m.concept_title)


async def test_two_tenants_with_the_same_ids_never_mix(teams, connector):
    same_in_b = TeamsUser(TENANT_B, SAM.aad_object_id)
    # Same user and conversation ids in two tenants (Teams never does this; a forged or buggy sender might).
    a = personal_message(connector.service_url, SAM, "my team is struggling and I don't know where to start")
    b = personal_message(connector.service_url, same_in_b, "hello")
    b["conversation"]["id"] = a["conversation"]["id"]
    (quiz_or_diagnosis,) = await teams.send(a)
    (hello,) = await teams.send(b)
    assert hello.actions == [], "tenant B's conversation has no live prompt from tenant A"
    # Tenant A's buttons, pressed in tenant B, are stale there; in tenant A they still work.
    first = _labels(quiz_or_diagnosis)[0]
    data = quiz_or_diagnosis.action(first)["data"]
    (in_b,) = await teams.send(submit(connector.service_url, same_in_b, quiz_or_diagnosis, data))
    assert in_b.texts[0].startswith("That button belongs to an earlier part")
    (in_a,) = await teams.send(submit(connector.service_url, SAM, quiz_or_diagnosis, data))
    assert not in_a.texts[0].startswith("That button belongs")
    # Forgetting the user in tenant B leaves tenant A alone.
    await teams.send(
        personal_message(connector.service_url, same_in_b, "forget me") | {"conversation": b["conversation"]}
    )
    follow = in_a.action(_labels(in_a)[0])["data"]
    (still,) = await teams.send(submit(connector.service_url, SAM, in_a, follow))
    assert not still.texts[0].startswith("That button belongs")


async def test_a_redelivered_activity_is_answered_once(teams, connector):
    activity = personal_message(connector.service_url, SAM, "help")
    await teams.send(activity)
    status, _ = await teams.post(activity)  # the Bot Framework retries with the same activity id
    assert status == 202
    await teams.bot.settle()
    assert len(connector.messages(SAM.personal_conversation)) == 1
    assert teams.bot.counter("leadbot_turns_total", platform="teams", event="duplicate") == 1


async def test_a_channel_mention_gets_a_short_thread_reply_and_can_continue_privately(teams, connector):
    channel = TeamsChannel(TENANT_A)
    activity = channel_mention(
        connector.service_url, SAM, channel, "my team is struggling and I don't know where to start"
    )
    thread = activity["conversation"]["id"]
    (short,) = await teams.send(activity)
    assert short.kind == "reply" and short.activity_id == activity["id"], "the reply goes into the thread"
    assert short.conversation_id == thread
    assert _labels(short) == [CONTINUE], "in a channel the only button is the offer to go private"
    assert len(short.texts) <= 5, "a short reply, not the whole card"
    assert (
        teams.bot.counter("leadbot_turns_total", platform="teams", event="diagnosis")
        + teams.bot.counter("leadbot_turns_total", platform="teams", event="quiz")
        == 1
    ), "the mention text was understood as a team problem"

    # No personal chat is stored yet: the bot asks the connector to create one, then posts there.
    (moved,) = await teams.press(SAM, short, CONTINUE)
    assert moved.texts == ["I've sent you a private message so we can carry on there."]
    (created,) = [s for s in connector.sent if s.kind == "create"]
    assert created.body["members"][0]["id"] == SAM.teams_id and created.body["channelData"]["tenant"]["id"] == TENANT_A
    private = connector.messages(created.id)
    assert len(private) == 1 and private[0].kind == "send", "a proactive message in the new personal chat"
    assert private[0].actions, "with the buttons of the conversation, ready to carry on"
    # The conversation carries on there.
    (next_reply,) = await teams.press(SAM, private[0], _labels(private[0])[0])
    assert next_reply.conversation_id == created.id

    # Pressing "continue" again: nothing left in the channel to move.
    (again,) = await teams.press(SAM, short, CONTINUE)
    assert again.texts[0].startswith("There's nothing in progress to carry over")


async def test_the_mention_is_stripped_before_the_dialog_reads_the_text(teams, connector):
    channel = TeamsChannel(TENANT_A)
    (reply,) = await teams.send(channel_mention(connector.service_url, SAM, channel, "help"))
    assert reply.texts[0] == "How leadbot works", "'<at>leadbot</at> help' is read as 'help'"
    assert reply.kind == "reply" and reply.conversation_id.endswith(";messageid=" + reply.activity_id)


async def test_continue_privately_uses_the_stored_personal_chat(teams, connector):
    (_hello,) = await teams.say(SAM, "hello")  # a personal message: its reference is stored
    channel = TeamsChannel(TENANT_A)
    (short,) = await teams.send(
        channel_mention(connector.service_url, SAM, channel, "my team is struggling and I don't know where to start")
    )
    before = len(connector.messages(SAM.personal_conversation))
    await teams.press(SAM, short, CONTINUE)
    await teams.wait_messages(SAM.personal_conversation, before + 1)
    assert [s for s in connector.sent if s.kind == "create"] == [], "no new conversation was needed"
    assert connector.messages(SAM.personal_conversation)[-1].actions


async def test_continue_privately_when_the_app_is_not_available_to_the_person(teams, connector):
    channel = TeamsChannel(TENANT_A)
    (short,) = await teams.send(
        channel_mention(connector.service_url, SAM, channel, "my team is struggling and I don't know where to start")
    )
    connector.fail_next(403, code="BotNotInConversationRoster", kinds={"create"})
    (answer,) = await teams.press(SAM, short, CONTINUE)
    assert answer.texts[0].startswith("I can't message you privately yet")


async def test_a_group_chat_mention_gets_the_short_reply_too(teams, connector):
    activity = personal_message(
        connector.service_url, SAM, "<at>leadbot</at> my team is struggling and I don't know where to start"
    )
    activity["conversation"] = {
        "isGroup": True,
        "conversationType": "groupChat",
        "tenantId": TENANT_A,
        "id": "19:meeting_Zm9vYmFy@thread.v2",
    }
    activity["entities"].insert(
        0,
        {
            "type": "mention",
            "mentioned": {"id": activity["recipient"]["id"], "name": "leadbot"},
            "text": "<at>leadbot</at>",
        },
    )
    (short,) = await teams.send(activity)
    assert short.conversation_id == "19:meeting_Zm9vYmFy@thread.v2"
    assert _labels(short) == [CONTINUE]
