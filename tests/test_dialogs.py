"""The coaching conversation through the public API of dialogs/: Conversations + MemoryStore.

Flows that depend on what the diagnosis says use `FixedDiagnoser`, a stand-in
that returns one chosen reading, so each test pins one path of the dialog
whatever the model learns. Escalation, intents and bad input use the real
diagnoser.
"""

from __future__ import annotations

import pytest

from bot.console.render import render
from dialogs.conversation import Conversations
from dialogs.diagnosis.types import Diagnosis
from dialogs.dialog import Dialog
from dialogs.dialog_result import RecordFalseAlarm
from dialogs.models import ChoicePress, ConversationKey, Inbound, Reply
from dialogs.quotations import credit
from dialogs.situations import situations_in
from dialogs.state import ConversationState
from dialogs.store import MemoryStore

KEY = ConversationKey(platform="console", workspace_id="local", user_id="alice", conversation_id="c1")


class FixedDiagnoser:
    """Always reads a message the same way: lets a test choose the diagnosis it needs."""

    def __init__(self, real, **reading):
        self.real = real
        self.ask_below = 0.5
        self.reading = reading

    def diagnose(self, text: str, second_look: bool = False) -> Diagnosis:
        d = self.real.diagnose(text, second_look)
        if d.first_move in ("escalate",) or d.intent in (
            "help",
            "privacy",
            "forget",
            "about",
            "empty",
            "unclear",
            "greeting",
            "thanks",
        ):
            return d
        return Diagnosis(**{"confidence": 0.9, "seed": 7, **self.reading})


def make(content, diagnoser, store=None) -> tuple[Conversations, MemoryStore]:
    store = store or MemoryStore()
    return Conversations(Dialog(content, diagnoser, retention_days=30), store), store


async def say(conversations, text: str, key: ConversationKey = KEY) -> list[Reply]:
    return (await conversations.handle(Inbound(key=key, surface="console", text=text))).replies


async def answer_to(content, diagnoser, text: str) -> Reply:
    """The one reply a new conversation gets to its first message."""
    conversations, _ = make(content, diagnoser)
    [reply] = await say(conversations, text)
    return reply


async def press(conversations, reply: Reply, label_or_value: str, key: ConversationKey = KEY) -> list[Reply]:
    choice = next(c for c in reply.choices if label_or_value in (c.label, c.value))
    return (
        await conversations.handle(
            Inbound(key=key, surface="button", choice=ChoicePress(value=choice.value, token=reply.choice_token))
        )
    ).replies


def values(reply: Reply) -> list[str]:
    return [c.value for c in reply.choices]


# --- the coaching reply -------------------------------------------------------


async def test_diagnosis_reply_has_move_reason_quote_step_and_four_choices(content, diagnoser):
    conversations, _ = make(
        content, FixedDiagnoser(diagnoser, first_move="manage", problem="control", signals=["work-out-of-sight"])
    )
    [reply] = await say(conversations, "half the requests get worked on paper so we can't tell what's done")
    assert reply.kind == "diagnosis"
    assert reply.title == "Management first"
    assert reply.lines[0] == content.problems["control"].why
    assert reply.quote and reply.quote.source
    assert reply.next_step and reply.follow_up
    assert values(reply) == ["done", "not_quite", "another_step", "why"]
    labels = [c.label for c in reply.choices]
    assert labels == [content.messages.choice_labels[k] for k in ("done", "not_quite", "another_step", "why")]


async def test_both_says_which_comes_first(content, diagnoser):
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control", both=True))
    [reply] = await say(conversations, "backlog everywhere and the team think there's no point")
    assert reply.title == "Both: management first, then leadership"
    assert any("leadership" in line for line in reply.lines[1:])


async def test_another_step_gives_a_different_step_each_time_until_none_left(content, diagnoser):
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="lead", problem="uncertainty"))
    text = "nobody knows what the new model is for"
    [reply] = await say(conversations, text)
    seen = [reply.next_step]
    for _ in range(len(content.next_steps)):
        [reply] = await press(conversations, reply, "another_step")
        if reply.next_step is None:
            break
        assert reply.next_step not in seen
        seen.append(reply.next_step)
    assert reply.lines == [content.messages.no_more_steps]
    # Every step for the problem that takes nothing for granted, or only what the message said (a new
    # model is a change), and none that assumes anything else: no rota, backlog or meeting came up.
    said = set(situations_in(content, text))
    assert "change" in said and not said & {"rota", "backlog", "meetings"}
    fitting = {s.text for s in content.next_steps.values() if "uncertainty" in s.problems and set(s.needs) <= said}
    assert set(seen) == fitting
    assert any(content.next_steps[i].text in seen for i in ("what-changes-for-you", "purpose-in-a-sentence"))


async def test_why_names_what_pointed_where(content, diagnoser):
    conversations, _ = make(
        content, FixedDiagnoser(diagnoser, first_move="lead", problem="uncertainty", signals=["asking-why"])
    )
    [reply] = await say(conversations, "they keep asking why we changed it")
    [why] = await press(conversations, reply, "why")
    cue = content.cues["asking-why"]
    assert why.lines[0] == f"You mentioned {cue.says}: {cue.means}."
    assert "leadership" in why.lines[1]
    assert values(why) == ["done", "not_quite", "another_step", "why"], "the coaching choices stay live after why"


async def test_thats_it_then_useful_is_counted_once_per_step_with_no_text(content, diagnoser):
    conversations, store = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="inconsistency"))
    [reply] = await say(conversations, "letters go out anywhere from 2 days to 3 weeks")
    step_text = reply.next_step
    [done] = await press(conversations, reply, "done")
    assert content.messages.feedback_question in done.lines
    [thanks] = await press(conversations, done, "useful:yes")
    assert thanks.lines == [content.messages.feedback_thanks]
    step_id = next(s.id for s in content.next_steps.values() if s.text == step_text)
    assert store.feedback == {("console", "local", step_id, True): 1}
    # Pressing the same button again is stale and counts nothing more.
    [again] = await press(conversations, done, "useful:yes")
    assert again.lines[0] == content.messages.stale_choice
    assert store.feedback == {("console", "local", step_id, True): 1}
    assert "letters" not in repr(store.states) and "weeks" not in repr(store.states), "state must not hold message text"


# --- the quick test -----------------------------------------------------------


async def test_not_quite_runs_the_quick_test_and_counts_the_misread(content, diagnoser):
    conversations, store = make(content, FixedDiagnoser(diagnoser, first_move="lead", problem="uncertainty"))
    [reply] = await say(conversations, "the team are all over the place")
    [q1] = await press(conversations, reply, "not_quite")
    assert q1.kind == "question" and values(q1) == [
        "quiz:side:lead",
        "quiz:side:manage",
        "quiz:side:both",
        "quiz:side:unsure",
    ]
    [q2] = await press(conversations, q1, "quiz:side:manage")
    assert values(q2) == ["quiz:problem:inconsistency", "quiz:problem:control"]
    [result] = await press(conversations, q2, "quiz:problem:control")
    assert result.kind == "diagnosis" and result.title == "Management first"
    assert result.lines[:2] == [content.messages.quiz_changes, content.problems["control"].why]
    assert store.misreads == {("console", "local", "lead/uncertainty", "manage/control"): 1}


async def test_quick_test_both_asks_four_questions_at_most_and_orders(content, diagnoser):
    conversations, _store = make(content, FixedDiagnoser(diagnoser, first_move="lead", problem="uncertainty"))
    [reply] = await say(conversations, "it's a mess")
    asked = 0
    [q] = await press(conversations, reply, "not_quite")
    for answer in ("quiz:side:both", "quiz:problem:confidence", "quiz:problem:control", "quiz:order:manage"):
        asked += 1
        [q] = await press(conversations, q, answer)
    assert asked == 4 and q.kind == "diagnosis"
    assert q.title == "Both: management first, then leadership"
    assert q.lines[1] == content.problems["control"].why


async def test_same_answer_as_first_guess_counts_no_misread(content, diagnoser):
    conversations, store = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"))
    [reply] = await say(conversations, "nobody owns the queue")
    [q] = await press(conversations, reply, "not_quite")
    [q] = await press(conversations, q, "quiz:side:unsure")
    assert len(q.choices) == 4, "not sure offers all four problems at once"
    [result] = await press(conversations, q, "quiz:problem:control")
    assert result.kind == "diagnosis" and store.misreads == {}


async def test_not_quite_never_gives_the_same_reply_twice(content, diagnoser):
    """The quick test confirms the first reading: say so, and bring a different principle and step each time."""
    service, store = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"))
    [reply] = await say(service, "nobody owns the queue and things drift")
    seen = [(reply.quote, reply.next_step)]
    for _ in range(3):
        [q] = await press(service, reply, "not_quite")
        [q] = await press(service, q, "quiz:side:manage")
        [reply] = await press(service, q, "quiz:problem:control")
        assert reply.kind == "diagnosis" and reply.title == "Management first"
        assert reply.lines[0] == content.messages.quiz_confirms, "it says the answers agree with the first reading"
        assert reply.quote not in [quote for quote, _ in seen], "a different angle"
        assert reply.next_step and reply.next_step not in [step for _, step in seen], "and a step not shown before"
        seen.append((reply.quote, reply.next_step))
    assert store.misreads == {}
    [why] = await press(service, reply, "why")
    assert (
        why.lines[0]
        == "In the quick test you said the trouble is mainly delivery, and that work is drifting, duplicated or hidden."
    )


async def test_not_quite_with_a_different_reading_offers_nothing_already_shown(content, diagnoser):
    service, _ = make(content, FixedDiagnoser(diagnoser, first_move="lead", problem="uncertainty"))
    [first] = await say(service, "the team don't know what the new rota system is for")
    [q] = await press(service, first, "not_quite")
    [q] = await press(service, q, "quiz:side:lead")
    [second] = await press(service, q, "quiz:problem:confidence")
    assert second.title == "Leadership first" and second.lines[0] == content.messages.quiz_changes
    assert second.quote != first.quote and second.next_step != first.next_step
    [another] = await press(service, second, "another_step")
    assert another.next_step not in (first.next_step, second.next_step)


async def test_not_quite_when_every_step_has_been_shown_still_moves_on(content, diagnoser):
    service, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"))
    [reply] = await say(service, "nobody owns the queue")
    replies = [reply]
    while reply.next_step is not None:
        [reply] = await press(service, reply, "another_step")
    [q] = await press(service, reply, "not_quite")
    [q] = await press(service, q, "quiz:side:manage")
    [last] = await press(service, q, "quiz:problem:control")
    assert last.lines[:1] == [content.messages.quiz_confirms] and content.messages.no_more_steps in last.lines
    assert last.quote != replies[0].quote and last.next_step is None


async def test_unsure_diagnosis_asks_instead_of_guessing(content, diagnoser):
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control", confidence=0.3))
    [reply] = await say(conversations, "work stuff is hard")
    assert reply.kind == "question" and reply.lines[0] == content.quick_test.intro


async def test_typed_number_or_label_works_like_a_press(content, diagnoser):
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"))
    await say(conversations, "nobody owns the queue")
    [why] = await say(conversations, "4")
    assert why.title == "Why I said that"
    [q] = await say(conversations, "not quite, ask me questions")
    assert q.kind == "question"


@pytest.mark.parametrize("typed", ["not quite", "Not quite!", "why", "another step"])
async def test_the_first_words_of_a_choice_count_as_the_press(content, diagnoser, typed):
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"))
    [first] = await say(conversations, "nobody owns the queue")
    [reply] = await say(conversations, typed)
    # Read as the choice, not as a new problem: a new problem would be diagnosed afresh.
    assert reply.kind in ("question", "info", "diagnosis") and reply.lines != first.lines
    assert {"not quite": "question", "why": "info"}.get(typed.strip("!").casefold(), reply.kind) == reply.kind


# --- escalation -----------------------------------------------------------------

ESCALATIONS = {
    "bullying": "the others have been freezing out the new starter, hiding her post and mocking her in the group chat every day",
    "harassment": "one of the drivers keeps making comments about a colleague's body and won't leave her alone",
    "discrimination": "my deputy said he won't shortlist anyone who'll need time off for ramadan",
    "self-harm": "one of my team told me she has been cutting herself again",
    "safeguarding": "a foster carer we work with left a seven year old home alone overnight",
    "whistleblowing": "my manager told us to backdate the inspection records before the audit",
    "grievance": "a caseworker has raised a formal grievance against her line manager",
    "disciplinary": "HR want me to chair a disciplinary hearing for one of my officers next week",
}


@pytest.mark.parametrize("topic", sorted(ESCALATIONS))
async def test_sensitive_matters_are_routed_not_coached(content, diagnoser, topic):
    conversations, _ = make(content, diagnoser)
    [reply] = await say(conversations, ESCALATIONS[topic])
    assert reply.kind == "escalation"
    assert reply.next_step is None and reply.quote is None, "no coaching"
    assert set(values(reply)) <= {"not_sensitive"}, "no coaching choices, at most the way back from a false alarm"
    assert content.escalation.intro in reply.lines
    assert any(line.startswith("\u2022 ") for line in reply.lines), "points to at least one route"


async def test_escalation_buried_in_an_ordinary_complaint_wins(content, diagnoser):
    conversations, _ = make(content, diagnoser)
    [reply] = await say(
        conversations,
        "the rota's a mess again and deadlines keep slipping, oh and one of the lads has been shoving a colleague about in the depot",
    )
    assert reply.kind == "escalation"


async def test_escalation_interrupts_a_quick_test(content, diagnoser):
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="lead", problem="confidence"))
    [reply] = await say(conversations, "they doubt the new system")
    [q] = await press(conversations, reply, "not_quite")
    [esc] = await say(
        conversations, "sorry, more urgent: a resident threatened to stab one of my housing officers today"
    )
    assert esc.kind == "escalation"
    [stale] = await press(conversations, q, "quiz:side:lead")
    assert stale.lines[0] == content.messages.stale_choice


@pytest.mark.parametrize(
    "text",
    [
        "we're killing it this quarter",
        "the deadline is murder this week",
        "I'm drowning in DFG referrals",
        "the rota is a car crash",
    ],
)
async def test_figures_of_speech_are_not_escalated(content, diagnoser, text):
    assert diagnoser.diagnose(text).first_move != "escalate"


async def test_escalation_routes_show_placeholders_as_not_filled_in(content, diagnoser):
    conversations, _ = make(content, diagnoser)
    [reply] = await say(conversations, ESCALATIONS["grievance"])
    assert not any("{{" in line for line in reply.lines)


# --- a false alarm ----------------------------------------------------------------


async def test_an_escalation_read_by_the_model_alone_offers_a_way_back(content, diagnoser, false_alarm):
    conversations, _ = make(content, diagnoser)
    [reply] = await say(conversations, false_alarm)
    assert reply.kind == "escalation" and reply.next_step is None and reply.quote is None
    assert [(c.label, c.value) for c in reply.choices] == [(content.escalation.not_sensitive.label, "not_sensitive")]


def test_the_way_back_is_never_offered_beside_the_urgent_line_a_sensitive_term_or_a_sure_reading(
    content, diagnoser, model_probe_texts
):
    dialog = Dialog(content, diagnoser)
    offered = urgent_unsure = 0
    for text in model_probe_texts:
        d = diagnoser.diagnose(text)
        if d.first_move != "escalate":
            continue
        [reply] = dialog.handle(Inbound(key=KEY, surface="console", text=text), ConversationState(), d).replies
        urgent = content.escalation.urgent_line in reply.lines
        unsure = not d.sensitive_terms and d.confidence < diagnoser.ask_below
        if reply.choices:
            offered += 1
            assert not urgent and not d.sensitive_terms and d.confidence < diagnoser.ask_below, text
        urgent_unsure += urgent and unsure
    assert offered, "some unsure escalation gets the way back"
    assert urgent_unsure, "and some unsure one with a risk to life does not: the rule was exercised"


@pytest.mark.parametrize("topic", ["self-harm", "grievance", "disciplinary"])
async def test_an_escalation_on_a_sensitive_term_has_no_way_back(content, diagnoser, topic):
    assert diagnoser.diagnose(ESCALATIONS[topic]).sensitive_terms
    conversations, _ = make(content, diagnoser)
    [reply] = await say(conversations, ESCALATIONS[topic])
    assert reply.kind == "escalation" and reply.choices == []


async def test_saying_it_is_not_sensitive_asks_again_without_coaching_that_message(content, diagnoser, false_alarm):
    conversations, _ = make(content, diagnoser)
    [esc] = await say(conversations, false_alarm)
    pressed = await conversations.handle(
        Inbound(key=KEY, surface="button", choice=ChoicePress(value="not_sensitive", token=esc.choice_token))
    )
    assert pressed.event == "not_sensitive" and pressed.effects == [RecordFalseAlarm()], "counted, nothing about what"
    [asked] = pressed.replies
    assert asked.lines == [content.escalation.not_sensitive.reply]
    assert asked.next_step is None and asked.quote is None and asked.choices == [], "the flagged message is not coached"

    # The same words again: this time read as a team problem (a diagnosis, or the quick test if unsure)...
    [again] = await say(conversations, false_alarm)
    assert again.kind in ("diagnosis", "question"), again.kind
    # ...once: the message after that is read as usual.
    [third] = await say(conversations, false_alarm)
    assert third.kind == "escalation"


async def test_a_greeting_in_between_does_not_use_up_the_second_look(content, diagnoser, false_alarm):
    conversations, _ = make(content, diagnoser)
    [esc] = await say(conversations, false_alarm)
    await press(conversations, esc, "not_sensitive")
    [hello] = await say(conversations, "hiya")
    assert hello.lines == [content.messages.greeting]
    [again] = await say(conversations, false_alarm)
    assert again.kind in ("diagnosis", "question"), again.kind


async def test_after_saying_not_sensitive_a_sensitive_term_still_escalates(content, diagnoser, false_alarm):
    conversations, _ = make(content, diagnoser)
    [esc] = await say(conversations, false_alarm)
    await press(conversations, esc, "not_sensitive")
    [reply] = await say(conversations, ESCALATIONS["self-harm"])
    assert reply.kind == "escalation" and reply.choices == []
    assert content.escalation.urgent_line in reply.lines


async def test_the_way_back_is_pressed_once(content, diagnoser, false_alarm):
    conversations, _ = make(content, diagnoser)
    [esc] = await say(conversations, false_alarm)
    await press(conversations, esc, "not_sensitive")
    [stale] = await press(conversations, esc, "not_sensitive")
    assert stale.lines[0] == content.messages.stale_choice


# --- help, greetings, privacy, forget me --------------------------------------


async def test_help_greeting_thanks_and_about(content, diagnoser):
    conversations, _ = make(content, diagnoser)
    [help_] = await say(conversations, "help")
    assert help_.title == content.messages.help_title and help_.lines == content.messages.help
    [hello] = await say(conversations, "hiya")
    assert hello.lines == [content.messages.greeting]
    [thanks] = await say(conversations, "cheers!")
    assert thanks.lines == [content.messages.thanks]
    [about] = await say(conversations, "are you a bot?")
    assert about.lines == content.messages.about


@pytest.mark.parametrize(
    "text",
    [
        "help! half my team still don't get the new triage",
        "help me sort out who covers the late shifts, the same two always do",
    ],
)
async def test_a_problem_that_starts_with_help_is_diagnosed_not_given_the_help_text(content, diagnoser, text):
    reply = await answer_to(content, diagnoser, text)
    assert reply.kind == "diagnosis", f"{text!r} got {reply.kind}: {reply.lines[:1]}"


@pytest.mark.parametrize(
    "text",
    [
        "can you email me a copy of this conversation?",
        "could you send me the advice so I can print it",
        "can I save this chat",
    ],
)
async def test_asking_for_a_copy_of_the_chat_is_told_no_words_are_kept_and_where_the_chat_is(content, diagnoser, text):
    reply = await answer_to(content, diagnoser, text)
    assert reply.lines == [content.messages.no_copy], f"{text!r} got {reply.kind}: {reply.title or reply.lines}"


async def test_asking_about_a_phone_says_where_the_bot_can_be_used(content, diagnoser):
    reply = await answer_to(content, diagnoser, "can I get this on my phone?")
    assert reply.lines == content.messages.about and any("phone" in line for line in reply.lines)


async def test_messages_about_a_teams_records_are_problems_not_requests_for_a_copy(content, diagnoser):
    reply = await answer_to(
        content, diagnoser, "I keep a record of our team meetings but nobody reads it or does the actions"
    )
    assert reply.lines != [content.messages.no_copy] and reply.kind in ("diagnosis", "question")


@pytest.mark.parametrize(
    "text",
    [
        "what's the difference between leading and managing?",
        "Leaders or managers - same thing really?",
        "hi, how is leadership different to management?",
        "is management just another word for leadership",
        "what does leadership mean?",
    ],
)
async def test_asking_what_the_difference_is_gets_it_explained_with_its_quotation(content, diagnoser, text):
    reply = await answer_to(content, diagnoser, text)
    assert reply.title == content.messages.concept_title, f"{text!r} got {reply.kind}: {reply.title or reply.lines}"
    assert reply.lines == content.messages.concept and reply.follow_up == content.messages.concept_invite
    principle = content.principles["meaning-or-structure"]
    assert reply.quote is not None and reply.quote.text == principle.quote.text
    assert reply.quote.source == credit(content.sources[principle.quote.source]), "credited to its real source"
    assert not reply.choices and reply.next_step is None, "an explanation, not a coaching reply"


@pytest.mark.parametrize(
    "text",
    [
        "my team can't tell leading from managing and nobody owns the new triage, it's chaos",
        "should I be leading or managing the late-shift rota? the same two people always cover it",
    ],
)
async def test_a_team_problem_that_names_leading_and_managing_is_still_diagnosed(content, diagnoser, text):
    reply = await answer_to(content, diagnoser, text)
    assert reply.kind in ("diagnosis", "question"), f"{text!r} got {reply.kind}: {reply.title or reply.lines}"


async def test_a_sensitive_matter_asked_as_leadership_or_management_is_routed_not_explained(content, diagnoser):
    # No escalation term in it: only the model's reading escalates it, and that reading must come first.
    reply = await answer_to(content, diagnoser, "leader or manager, our boss follows the apprentice home")
    assert reply.kind == "escalation" and reply.title != content.messages.concept_title


async def test_a_matter_told_after_the_difference_question_is_read_not_lost_behind_the_answer(content, diagnoser):
    # Neither sentence has an escalation term and the question alone would be answered as one.
    reply = await answer_to(content, diagnoser, "leadership vs management? a carer takes money from residents")
    assert reply.kind == "escalation", f"got {reply.kind}: {reply.title or reply.lines}"
    reply = await answer_to(content, diagnoser, "leading or managing? the rota is a mess, nobody knows who is on")
    assert reply.kind in ("diagnosis", "question") and reply.title != content.messages.concept_title
    # The same in Welsh: "what's the difference between leading and managing? a carer takes money from residents"
    reply = await answer_to(
        content, diagnoser, "beth yw'r gwahaniaeth rhwng arwain a rheoli? mae gofalwr yn cymryd arian gan breswylwyr"
    )
    assert reply.kind == "escalation", f"got {reply.kind}: {reply.title or reply.lines}"


@pytest.mark.parametrize("aside", ["just curious", "asking for a friend", "thanks!"])
async def test_a_short_aside_beside_the_difference_question_still_gets_it_explained(content, diagnoser, aside):
    reply = await answer_to(content, diagnoser, f"what's the difference between leading and managing? {aside}")
    assert reply.title == content.messages.concept_title, f"got {reply.kind}: {reply.title or reply.lines}"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("anghofia fi", "forget"),
        ("beth ydych chi'n ei gadw?", "privacy"),
        ("help", "help"),
        ("sut mae hwn yn gweithio?", "help"),
        ("shwmae", "greeting"),
        ("bore da", "greeting"),
        ("diolch yn fawr", "thanks"),
        ("pwy wyt ti?", "about"),
        ("beth yw'r gwahaniaeth rhwng arwain a rheoli?", "concept"),
        ("allwch chi e-bostio'r sgwrs ata i?", "copy"),
        ("ga i gopi o'r sgwrs?", "copy"),
    ],
)
async def test_welsh_requests_about_the_bot_are_understood(diagnoser, text, intent):
    assert diagnoser.diagnose(text).intent == intent


async def test_what_do_you_store_lists_the_table_with_retention_filled(content, diagnoser):
    conversations, _ = make(content, diagnoser)
    [reply] = await say(conversations, "what do you store?")
    assert reply.table and len(reply.table) == len(content.messages.stored)
    assert all(how_long.startswith("Kept ") and "Kept" not in how_long[4:] for _, _, how_long in reply.table), (
        "said once, and said the same way"
    )
    assert "Kept: Kept" not in render(reply) and "Kept indefinitely." in render(reply)
    assert any("30 days" in row[2] for row in reply.table)
    assert not any("{retention_days}" in row[2] for row in reply.table)


async def test_forget_me_deletes_every_row_and_says_so(content, diagnoser):
    store = MemoryStore()
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"), store)
    other = KEY.model_copy(update={"conversation_id": "c2"})
    bob = KEY.model_copy(update={"user_id": "bob"})
    await say(conversations, "nobody owns the queue")
    await say(conversations, "nobody owns the queue", other)
    await say(conversations, "nobody owns the queue", bob)
    [reply] = await say(conversations, "please forget me")
    assert "2 records" in reply.lines[0]
    assert [k for k in store.states if k.user_id == "alice"] == []
    assert [k for k in store.states if k.user_id == "bob"] == [bob]


# --- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\U0001f44d\U0001f389\U0001f644", "unclear"),
        ("\x00\x07\x1b[31m", "unclear"),
        ("¿hablas español? necesito ayuda con mi equipo de trabajo", "unclear"),
        ("asdkjh qwpoeiru zxmcnv", "unclear"),
    ],
)
async def test_strange_messages_get_a_helpful_reply(content, diagnoser, text, message):
    conversations, _ = make(content, diagnoser)
    [reply] = await say(conversations, text)
    assert reply.lines == [getattr(content.messages, message)]


async def test_a_forty_thousand_character_message_is_answered(content, diagnoser):
    conversations, _ = make(content, diagnoser)
    replies = await say(conversations, "the handovers between shifts are patchy and " * 1000)
    assert replies and replies[0].kind in ("diagnosis", "question", "info")


async def test_a_choice_that_no_longer_exists_is_stale_not_an_error(content, diagnoser):
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"))
    [reply] = await say(conversations, "nobody owns the queue")
    bogus = Inbound(key=KEY, surface="button", choice=ChoicePress(value="launch_missiles", token=reply.choice_token))
    [stale] = (await conversations.handle(bogus)).replies
    assert stale.lines[0] == content.messages.stale_choice
    assert values(stale) == values(reply), "the live choices are offered again"


async def test_state_that_no_longer_parses_recovers(content, diagnoser):
    store = MemoryStore()
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="manage", problem="control"), store)
    [reply] = await say(conversations, "nobody owns the queue")
    stored = store.states[KEY]
    stored.data = {"v": 1, "stage": "offered", "snapshot": {"first_move": "teleport"}}  # written by older code
    replies = (
        await conversations.handle(
            Inbound(key=KEY, surface="button", choice=ChoicePress(value="why", token=reply.choice_token))
        )
    ).replies
    assert replies[0].lines == [content.messages.state_reset]
    [fresh] = await say(conversations, "nobody owns the queue")
    assert fresh.kind == "diagnosis", "the conversation carries on"


async def test_a_store_that_is_down_gets_the_kind_reply(content, diagnoser):
    from dialogs.store import StoreUnavailable

    class DownStore(MemoryStore):
        def turn(self, key, event_id):
            raise StoreUnavailable("down")

    conversations, _ = make(content, diagnoser, DownStore())
    [reply] = await say(conversations, "hello")
    assert reply.kind == "error" and reply.lines == [content.messages.unavailable]


async def test_duplicate_delivery_is_answered_once(content, diagnoser):
    conversations, _ = make(content, diagnoser)
    inbound = Inbound(key=KEY, surface="dm", text="help", event_id="Ev1")
    first, second = await conversations.handle(inbound), await conversations.handle(inbound)
    assert len(first.replies) == 1 and second.replies == [] and second.event == "duplicate"


async def test_moving_to_a_private_chat_shows_the_same_diagnosis(content, diagnoser):
    store = MemoryStore()
    conversations, _ = make(content, FixedDiagnoser(diagnoser, first_move="lead", problem="confidence"), store)
    channel = KEY.model_copy(update={"conversation_id": "C-public"})
    dm = KEY.model_copy(update={"conversation_id": "D-private"})
    [reply] = await say(conversations, "they don't believe the new system will work", channel)
    [moved] = (await conversations.move(channel, dm)).replies
    assert (moved.title, moved.next_step, moved.quote) == (reply.title, reply.next_step, reply.quote)
    assert channel not in store.states and dm in store.states
    [why] = await press(conversations, moved, "why", dm)
    assert why.title == "Why I said that"
