"""Cymraeg end to end: Slack and Teams over loopback HTTP against the fakes, and the terminal.

A Welsh-speaking manager holds the whole conversation (diagnosis, buttons, the quick
test, an escalation) without meeting an English sentence; saying "English" or
"Cymraeg" switches and is remembered; a bilingual channel nudge has Welsh first.
The messages are chosen so that what is tested is the language, not the diagnosis:
the flow is driven by buttons wherever the diagnosis could go more than one way.
"""

from __future__ import annotations

import os
import re
import subprocess

from sqlalchemy import select

from bot.storage.tables import user_settings
from tests.conftest import LEADBOT
from tests.cymraeg_support import assert_no_english, english_in
from tests.fakes.slack_harness import alice, leadbot, workspace, world  # noqa: F401 - fixtures
from tests.fakes.teams_client import TeamsChannel, TeamsUser, channel_mention, personal_message
from tests.test_nudge_platforms import send_this_weeks, turned_on_long_ago

PROBLEM = "work keeps slipping because nobody owns the next step and the cases sit in private inboxes"
SENSITIVE = "one of my team told me she is thinking of ending her life"
WELSH_PROBLEM = "Mae'r gwaith yn llithro a does neb yn gwybod pwy sy'n gyfrifol am y cam nesaf"


def _labels(call) -> list[str]:
    return [b["text"]["text"] for b in call.buttons()]


async def _slack_whole_conversation(alice, cy) -> list:
    """Diagnosis, why, another step, not quite -> the quick test -> a diagnosis, done, feedback, an escalation."""
    lab = cy.messages.choice_labels
    seen = []
    reply = await alice.dm(PROBLEM)
    seen.append(reply)
    assert reply.buttons(), reply.all_text()
    for _ in range(5):  # straight to a diagnosis, or through the quick test first
        if lab["why"] in _labels(reply):
            break
        [reply] = await alice.press(reply, _labels(reply)[0])
        seen.append(reply)
        assert reply.buttons(), reply.all_text()
    assert _labels(reply) == [lab["done"], lab["not_quite"], lab["another_step"], lab["why"]]
    assert cy.say("next_step") + ":" in reply.all_text(), "the next step, headed in Welsh"
    assert "Cyfieithiad:" in reply.all_text(), "the quotation stays in English, with a Welsh rendering marked as one"
    [why] = await alice.press(reply, lab["why"])
    assert why.header() == cy.say("why_title")
    [another] = await alice.press(why, lab["another_step"])
    [question] = await alice.press(another, lab["not_quite"])
    assert question.header() == cy.say("quiz_title", n=1)
    assert _labels(question) == [
        cy.quick_test.side_lead_label,
        cy.quick_test.side_manage_label,
        cy.quick_test.side_both_label,
        cy.quick_test.side_unsure_label,
    ]
    seen += [why, another, question]
    reply = question
    while lab["why"] not in _labels(reply):
        [reply] = await alice.press(reply, _labels(reply)[1])
        seen.append(reply)
    [done] = await alice.press(reply, lab["done"])
    [thanks] = await alice.press(done, lab["useful_yes"])
    assert cy.messages.feedback_thanks in thanks.all_text()
    escalation = await alice.dm(SENSITIVE)
    assert "Samariaid" in escalation.all_text() and "0808 164 0123" in escalation.all_text()
    return [*seen, done, thanks, escalation]


async def test_a_welsh_locale_slack_user_meets_no_english(world, workspace, leadbot, alice, content):
    world.fake.locales[alice.user] = "cy-GB"
    cy = content.in_language("cy")
    posts = await _slack_whole_conversation(alice, cy)
    updates = world.fake.of("chat.update", channel=alice.dm_channel)
    assert any(cy.say("slack_chosen", label=cy.messages.choice_labels["why"]) in u.all_text() for u in updates)
    texts = [p.all_text() for p in posts] + [p.text for p in posts] + [u.all_text() for u in updates]
    assert_no_english(texts, "Slack")
    asked = world.fake.of("users.info", user=alice.user)
    assert asked and all(str(c.args.get("include_locale")).lower() in ("true", "1") for c in asked)
    assert len(asked) == 1, "the locale is asked once, then remembered"


async def test_a_welsh_slack_user_gets_the_way_back_from_a_false_alarm_in_welsh(
    world, workspace, leadbot, alice, content, false_alarm
):
    world.fake.locales[alice.user] = "cy-GB"
    not_sensitive = content.in_language("cy").escalation.not_sensitive
    escalation = await alice.dm(false_alarm)
    assert _labels(escalation) == [not_sensitive.label]
    [asked] = await alice.press(escalation, not_sensitive.label)
    assert not_sensitive.reply in asked.all_text()
    assert_no_english([escalation.all_text(), escalation.text, asked.all_text(), asked.text], "Slack")


async def test_a_welsh_slack_user_asking_the_difference_gets_it_in_welsh(world, workspace, leadbot, alice, content):
    world.fake.locales[alice.user] = "cy-GB"
    cy = content.in_language("cy")
    reply = await alice.dm("Beth yw'r gwahaniaeth rhwng arwain a rheoli?")
    assert reply.header() == cy.messages.concept_title
    assert all(line in reply.all_text() for line in cy.messages.concept), reply.all_text()
    assert "Cyfieithiad:" in reply.all_text(), "the quotation stays in English, with a Welsh rendering marked as one"
    assert cy.messages.concept_invite in reply.all_text() and not reply.buttons()
    assert_no_english([reply.all_text(), reply.text], "Slack")


async def test_on_slack_saying_english_or_cymraeg_switches_and_is_remembered(world, workspace, leadbot, alice, content):
    cy = content.in_language("cy")
    world.fake.locales[alice.user] = "cy-GB"
    switched = await alice.dm_all("English")
    assert content.say("switched") in switched[0].all_text() and content.messages.greeting in switched[-1].all_text()
    english = await alice.dm(PROBLEM)
    assert content.messages.choice_labels["why"] in _labels(english) or english.header().startswith("Quick test")
    assert english_in(english.all_text()), "answered in English although Slack says Welsh"

    async with leadbot.services.db.connect() as conn:
        [row] = (
            await conn.execute(select(user_settings.c.settings).where(user_settings.c.user_id == alice.user))
        ).all()
    assert row.settings == {"language": "en"}, "only the language code is kept"

    # A message in Welsh is answered in Welsh whatever the setting, and the setting stays.
    welsh = await alice.dm(WELSH_PROBLEM)
    assert not english_in(welsh.all_text()), welsh.all_text()
    assert english_in((await alice.dm(PROBLEM)).all_text()), "the next English message is answered in English again"

    back = await alice.dm_all("Cymraeg")
    assert cy.say("switched") in back[0].all_text()
    world.fake.locales[alice.user] = "en-US"
    assert not english_in((await alice.dm(PROBLEM)).all_text()), "remembered: Welsh, whatever the locale says"

    stored = await alice.dm("what do you store?")
    assert "eich iaith" in stored.all_text(), "the language setting is in the answer to 'what do you store?'"
    forgot = await alice.dm("forget me")
    assert "Wedi'i wneud" in forgot.all_text()
    async with leadbot.services.db.connect() as conn:
        assert (await conn.execute(select(user_settings).where(user_settings.c.user_id == alice.user))).all() == []


async def test_the_slack_home_tab_is_in_the_persons_language_and_can_change_it(
    world, workspace, leadbot, alice, content
):
    from tests.fakes import slack_requests as rq

    cy = content.in_language("cy")
    world.fake.locales[alice.user] = "cy-GB"
    resp = await alice.slack.event(
        rq.event_envelope(alice.team, rq.home_opened_event(alice.user), workspace.bot_user_id)
    )
    assert resp.status == 200
    await alice.settle()
    [view] = world.fake.of("views.publish", user_id=alice.user)
    text = "\n".join(_strings(view.args["view"]))
    assert cy.say("slack_home_what") in text and cy.say("slack_home_settings") in text and "Iaith: *Cymraeg*" in text
    assert_no_english([text], "App Home")

    switch = next(b["accessory"] for b in view.args["view"]["blocks"] if b.get("accessory", {}).get("value") == "en")
    assert switch["text"]["text"] == "English", "each language is offered in its own name"
    await alice.slack.interaction(rq.home_block_actions(alice.team, alice.user, switch))
    await alice.settle()
    again = "\n".join(_strings(world.fake.of("views.publish", user_id=alice.user)[-1].args["view"]))
    assert content.say("slack_home_what") in again and "Language: *English*" in again
    assert english_in((await alice.dm(PROBLEM)).all_text()), "the Home tab's choice is the one the conversation uses"


def _strings(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["text"]] if isinstance(node.get("text"), str) else []) + [
            t for v in node.values() for t in _strings(v)
        ]
    if isinstance(node, list):
        return [t for v in node for t in _strings(v)]
    return []


# --- Teams -----------------------------------------------------------------------------

TENANT = "2d7c6b5a-0000-4000-8000-0000000000c1"
NIA = TeamsUser(TENANT, "3e8d7c6b-5a49-4382-9170-6f5e4d3c2b1c", "Nia Jones")


def _welsh(activity: dict) -> dict:
    activity["locale"] = "cy-GB"
    activity["entities"][0]["locale"] = "cy-GB"
    return activity


def _titles(sent) -> list[str]:
    return [a["title"] for a in sent.actions]


async def test_a_teams_activity_with_locale_cy_gb_meets_no_english(teams, connector, content):
    cy = content.in_language("cy")
    lab = cy.messages.choice_labels

    async def say(text):
        return (await teams.send(_welsh(personal_message(connector.service_url, NIA, text))))[0]

    async def press(card, title):
        from tests.fakes.teams_client import submit

        return (await teams.send(_welsh(submit(connector.service_url, NIA, card, card.action(title)["data"]))))[0]

    seen = [reply := await say(PROBLEM)]
    while lab["why"] not in _titles(reply):
        reply = await press(reply, _titles(reply)[0])
        seen.append(reply)
    assert cy.say("next_step") in reply.texts and any(t.startswith("Cyfieithiad:") for t in reply.texts)
    why = await press(reply, lab["why"])
    quiz = await press(why, lab["not_quite"])
    assert quiz.texts[0] == cy.say("quiz_title", n=1)
    seen += [why, quiz]
    reply = quiz
    while lab["why"] not in _titles(reply):
        reply = await press(reply, _titles(reply)[-1])
        seen.append(reply)
    done = await press(reply, lab["done"])
    thanks = await press(done, lab["useful_no"])
    escalation = await say(SENSITIVE)
    assert any("0808 164 0123" in t for t in escalation.texts)
    seen += [done, thanks, escalation]
    texts = [t for s in seen for t in s.texts] + [t for s in seen for t in _titles(s)]
    texts += [s.card["fallbackText"] for s in seen if s.card] + [s.body.get("summary") or "" for s in seen]
    assert_no_english(texts, "Teams")


async def test_on_teams_english_is_remembered_over_a_welsh_locale(teams, connector, content):
    switched, greeting = await teams.send(_welsh(personal_message(connector.service_url, NIA, "English")), replies=2)
    assert content.say("switched") in " ".join(switched.texts) and content.messages.greeting in greeting.texts
    (reply,) = await teams.send(_welsh(personal_message(connector.service_url, NIA, PROBLEM)))
    assert english_in(" ".join(reply.texts)), "English, although the Activity says cy-GB"
    await teams.send(_welsh(personal_message(connector.service_url, NIA, "Cymraeg")), replies=2)
    (reply,) = await teams.send(personal_message(connector.service_url, NIA, PROBLEM))  # an en-GB Activity now
    assert not english_in(" ".join(reply.texts)), "Welsh, remembered, whatever the Activity's locale"


# --- weekly nudges --------------------------------------------------------------------------


async def test_a_bilingual_slack_nudge_puts_welsh_first(world, workspace, leadbot, alice, content):
    cy = content.in_language("cy")
    answer = (await alice.command("nudge on bilingual", channel="C0TIM"))[-1].all_text()
    welsh = answer.index("Mae'r hwb wythnosol ymlaen ar gyfer y sianel hon")
    assert welsh < answer.index("Weekly nudges are on for this channel"), "the answer too: Welsh first"
    assert "yn Gymraeg ac yn Saesneg, y Gymraeg yn gyntaf" in answer and "in Welsh and English, Welsh first" in answer
    await turned_on_long_ago(leadbot.services.db)
    await send_this_weeks(leadbot.app)
    (nudge,) = world.fake.of("chat.postMessage", channel="C0TIM")
    welsh_title, english_title = nudge.header().split(" / ")
    [nid] = [n for n in content.nudges if content.nudges[n].title == english_title]
    assert welsh_title == cy.nudges[nid].title
    text = nudge.all_text()
    assert text.index(cy.nudges[nid].text) < text.index(content.nudges[nid].text), "Welsh first"
    assert text.index(cy.say("poll_prompt")) < text.index(content.say("poll_prompt"))
    assert _labels(nudge) == [
        "Mwy o ystyr / More meaning",
        "Mwy o strwythur / More structure",
        "Tua'n iawn / About right",
    ]
    waiting_cy, waiting_en = "Bydd y canlyniadau'n ymddangos ar ôl 3 pleidlais", "Results appear after 3 votes"
    assert text.index(waiting_cy) < text.index(waiting_en), "when the results will show, in both, Welsh first"
    await alice.press(nudge, "Mwy o ystyr / More meaning")
    thanks = alice.responses(f"press-{workspace.team_id}-{alice.user}")[-1].all_text()
    assert "Diolch, mae eich pleidlais dros ystyr wedi'i chyfrif" in thanks, "the voter is thanked in Welsh"
    await alice.press(nudge, "Mwy o strwythur / More structure")
    again = alice.responses(f"press-{workspace.team_id}-{alice.user}")[-1].all_text()
    assert "Rydych chi eisoes wedi pleidleisio yn y pôl hwn" in again and not english_in(again), (
        "a second vote refused, in Welsh"
    )
    bob = world.manager(workspace, user="U0BOB", dm_channel="D0BOB")
    await bob.press(nudge, "Mwy o strwythur / More structure")
    for below in world.fake.of("chat.update", channel="C0TIM"):  # two votes: below the minimum of 3
        words = below.all_text()
        assert waiting_cy in words and waiting_en in words
        assert "ystyr 1" not in words and "meaning 1" not in words and "(1)" not in words, "no count of any kind yet"
    carol = world.manager(workspace, user="U0CAROL", dm_channel="D0CAROL")
    await carol.press(nudge, "Tua'n iawn / About right")
    final = world.fake.of("chat.update", channel="C0TIM")[-1].all_text()
    assert "Yr wythnos hon mae angen mwy o: ystyr 1, strwythur 1, tua'n iawn 1" in final
    assert "This week we need more: meaning 1, structure 1, about right 1" in final
    assert waiting_cy not in final and waiting_en not in final


async def test_a_welsh_teams_channel_gets_its_nudge_in_welsh(teams, connector, content):
    channel = TeamsChannel(TENANT)
    (answer,) = await teams.send(channel_mention(connector.service_url, NIA, channel, "nudge on cymraeg"))
    said = " ".join(answer.texts)
    assert "Mae'r hwb wythnosol ymlaen ar gyfer y sianel hon" in said and "yn Gymraeg" in said, said
    assert "'@leadbot nudge off'" in said, "the commands stay as the bot understands them"
    assert_no_english(answer.texts, "the answer to 'nudge on cymraeg'")
    await turned_on_long_ago(teams.bot.services.db)
    await send_this_weeks(teams.bot.app)
    [nudge] = [s for s in connector.sent if s.kind == "send" and s.conversation_id == channel.channel_id]
    assert _titles(nudge) == ["Mwy o ystyr", "Mwy o strwythur", "Tua'n iawn"]
    assert "Bydd y canlyniadau'n ymddangos ar ôl 3 pleidlais." in " ".join(nudge.texts), "k-anonymous, said in Welsh"
    assert_no_english([*nudge.texts, nudge.card["fallbackText"]], "a Welsh nudge")


# --- the terminal --------------------------------------------------------------------------


def test_leadbot_chat_in_welsh_and_remembered(tmp_path, cache_dir):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        "LEADBOT_CACHE_DIR": str(cache_dir),
    }
    first = subprocess.run(
        [LEADBOT, "chat", "--language", "cy", "--user", "nia"],
        input=f"{PROBLEM}\n4\nquit\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Helo, leadbot ydw i.") and "(Teipiwch quit i adael.)" in first.stdout
    # The source's credit is indented four spaces; the quotation, however it wraps, is in curly quotes.
    ours = "\n".join(line for line in first.stdout.splitlines() if not line.startswith("    "))
    assert_no_english([re.sub("\u201c.*?\u201d", " ", ours, flags=re.S)], "leadbot chat --language cy")
    again = subprocess.run(
        [LEADBOT, "chat", "--user", "nia"], input="quit\n", capture_output=True, text=True, env=env, timeout=300
    )
    assert again.stdout.startswith("Helo, leadbot ydw i."), "the choice is remembered for the next session"
