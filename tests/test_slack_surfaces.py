"""@mentions in channels, "Continue privately", and the /leadbot slash command, end to end."""

from __future__ import annotations

from tests.fakes import slack_requests as rq
from tests.fakes.slack_harness import alice, leadbot, workspace, world  # noqa: F401
from tests.test_slack_conversation import VAGUE, labels

CHANNEL = "C0LEADS"
CONTINUE = "Continue privately"


async def test_a_mention_gets_a_short_reply_in_its_thread(alice, world):
    reply = await alice.mention(CHANNEL, VAGUE)
    assert reply.args["channel"] == CHANNEL
    assert reply.args["thread_ts"], "answered in the thread, not in the channel"
    assert CONTINUE in labels(reply)
    assert len(reply.blocks) <= 6, "short in public"


async def test_mention_then_continue_privately_shows_the_same_diagnosis_in_a_dm(alice, world, content):
    why = content.messages.choice_labels["why"]
    reply = await alice.mention(CHANNEL, VAGUE)
    thread = reply.args["thread_ts"]
    if why not in labels(reply):  # the quick test, answered in the thread
        for _ in range(4):
            reply = (await alice.press(reply, labels(reply)[0]))[-1]
            assert reply.args["thread_ts"] == thread
            if why in labels(reply):
                break
    assert why in labels(reply), "a diagnosis in the thread"
    assert "context" not in [b["type"] for b in reply.blocks], "no quotation in a public thread: it is kept short"

    dm_before = len(world.fake.of("chat.postMessage", channel=alice.dm_channel))
    await alice.press(reply, CONTINUE)
    [opened] = world.fake.of("conversations.open")
    assert opened.args["users"] == alice.user
    dm_posts = world.fake.of("chat.postMessage", channel=alice.dm_channel)[dm_before:]
    assert len(dm_posts) == 1
    [in_dm] = dm_posts
    assert in_dm.header() == reply.header(), "the same diagnosis, now in private"
    assert _next_step(in_dm) == _next_step(reply)
    assert "context" in [b["type"] for b in in_dm.blocks], "the full reply, quotation included, in the DM"
    assert why in labels(in_dm) and CONTINUE not in labels(in_dm)
    # the thread message now says where the conversation went
    update = world.fake.of("chat.update", ts=reply.args["ts"])[-1]
    assert "Carried on privately" in update.all_text() and not update.buttons()

    # and it carries on in the DM
    [why_reply] = await alice.press(in_dm, why)
    assert why_reply.header() == "Why I said that"
    assert why_reply.args["channel"] == alice.dm_channel


def _next_step(call) -> str:
    return next(
        b["text"]["text"]
        for b in call.blocks
        if b.get("type") == "section" and b["text"]["text"].startswith("*Next step:*")
    )


async def test_continue_privately_pressed_by_someone_else_reveals_nothing(alice, world):
    reply = await alice.mention(CHANNEL, VAGUE)
    bob = world.manager(alice.workspace, user="U0BOB", dm_channel="D0BOB")
    payload = rq.block_actions(
        bob.team,
        bob.user,
        CHANNEL,
        reply.button(CONTINUE),
        world.fake.response_url("bob"),
        message=rq.message_of(reply),
    )
    await bob.slack.interaction(payload)
    await bob.settle()
    [answer] = world.fake.of("respond", _name="bob")
    assert answer.args["response_type"] == "ephemeral"
    assert "nothing here" in answer.all_text()
    assert world.fake.of("conversations.open") == []
    assert world.fake.of("chat.update") == [], "alice's thread is untouched"


async def test_someone_pressing_anothers_buttons_in_a_thread_is_answered_privately(alice, world, content):
    reply = await alice.mention(CHANNEL, VAGUE)
    bob = world.manager(alice.workspace, user="U0BOB", dm_channel="D0BOB")
    choice = next(b for b in reply.buttons() if b["text"]["text"] != CONTINUE)
    payload = rq.block_actions(
        bob.team,
        bob.user,
        CHANNEL,
        choice,
        world.fake.response_url("bob-press"),
        message=rq.message_of(reply),
        thread_ts=reply.args["thread_ts"],
    )
    before = len(world.fake.of("chat.postMessage"))
    await bob.slack.interaction(payload)
    await bob.settle()
    [answer] = world.fake.of("respond", _name="bob-press")
    assert answer.args["response_type"] == "ephemeral"
    assert content.messages.stale_choice in answer.all_text()
    assert len(world.fake.of("chat.postMessage")) == before, "nothing new in the thread"
    assert world.fake.of("chat.update") == [], "alice's buttons stay"
    # and alice can still answer
    posts = await alice.press(reply, choice["text"]["text"])
    assert content.messages.stale_choice not in posts[-1].all_text()


async def test_slash_command_answers_only_the_manager(alice, world, content):
    answers = await alice.command(VAGUE)
    assert answers, "an answer through the response_url"
    for a in answers:
        assert a.args["response_type"] == "ephemeral"
        assert a.args["replace_original"] is False
    assert world.fake.of("chat.postMessage") == [], "nothing posted where others can see it"
    first = answers[-1]
    assert first.buttons()
    # pressing a button on the ephemeral answer continues the same conversation, still ephemerally
    payload = rq.block_actions(
        alice.team, alice.user, CHANNEL, first.buttons()[0], world.fake.response_url("eph"), ephemeral=True
    )
    await alice.slack.interaction(payload)
    await alice.settle()
    [nxt] = world.fake.of("respond", _name="eph")
    assert nxt.args["response_type"] == "ephemeral"
    assert content.messages.stale_choice not in nxt.all_text(), "the press belonged to the live prompt"


async def test_slash_help_and_bare_command(alice, content):
    [help_] = await alice.command("help")
    assert help_.header() == content.messages.help_title
    [bare] = await alice.command("")
    assert bare.header() == content.messages.help_title


async def test_slash_forget_me(alice, world, leadbot):
    await alice.dm(VAGUE)
    await alice.command(VAGUE)
    [done] = await alice.command("forget me")
    assert "deleted everything" in done.all_text()
    assert "2 records" in done.all_text(), "the DM and the channel conversation"
    assert await leadbot.services.store.load_state(_key(alice, alice.dm_channel)) is None


def _key(m, channel):
    from dialogs.models import ConversationKey

    return ConversationKey(platform="slack", workspace_id=m.team, user_id=m.user, conversation_id=channel)
