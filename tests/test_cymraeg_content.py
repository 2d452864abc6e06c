"""Cymraeg: the Welsh content mirrors the English, `leadbot content check` says where it does not,
the Welsh says no English sentence, and the language of each turn is chosen as documented."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dialogs import language
from dialogs.content_loader import ContentInvalid, load_content
from tests.conftest import LEADBOT, edit_yaml
from tests.cymraeg_support import assert_no_english, english_in


def _values(data) -> list[str]:
    if isinstance(data, dict):
        return [t for v in data.values() for t in _values(v)]
    if isinstance(data, list):
        return [t for v in data for t in _values(v)]
    return [data] if isinstance(data, str) else []


def _welsh_texts(cy) -> list[str]:
    """Everything the Welsh content says, as a manager would meet it."""
    texts = _values(cy.messages.model_dump())
    texts += [
        t
        for p in cy.principles.values()
        for t in (p.title, p.text, p.quote.translation if p.quote else "", p.quote.said_by or "" if p.quote else "")
    ]
    texts += [t for s in cy.next_steps.values() for t in (s.text, s.follow_up)]
    texts += [t for n in cy.nudges.values() for t in (n.title, n.text, n.question)]
    texts += [t for x in cy.topics.values() for t in (x.name, x.reply)]
    texts += [t for r in cy.routes.values() for t in (r.name, r.when, r.contact)]
    e = cy.escalation
    texts += [e.intro, e.urgent_line, e.outro, e.unsure.title, e.unsure.reply, e.unsure.if_about]
    texts += [e.not_sensitive.label, e.not_sensitive.reply]
    texts += [t for p in cy.problems.values() for t in (p.name, p.why, p.question, p.choice_label)]
    texts += list(cy.quick_test.model_dump().values())
    texts += [t for p in cy.patterns.values() for t in (p.name, p.looks_like, p.advice)]
    texts += [t for c in cy.cues.values() for t in (c.says, c.means)] + [s.mentioned for s in cy.situations.values()]
    texts += list(cy.wording.values()) + _values(cy.pages.model_dump())
    return [t for t in texts if t]


def test_every_english_entry_has_its_welsh(content):
    cy = content.in_language("cy")
    assert cy.language == "cy" and cy.in_language("en") is content
    for name in (
        "principles",
        "next_steps",
        "nudges",
        "topics",
        "routes",
        "problems",
        "patterns",
        "cues",
        "situations",
    ):
        english, welsh = getattr(content, name), getattr(cy, name)
        assert set(welsh) == set(english), name
        assert all(welsh[k] != english[k] for k in english), f"{name}: an entry is still in English"
    assert cy.wording.keys() == content.wording.keys()
    # The quotations keep the source's words; the Welsh rendering sits beside them.
    for pid, p in content.principles.items():
        if p.quote:
            assert cy.principles[pid].quote.text == p.quote.text
            assert cy.principles[pid].quote.translation and cy.principles[pid].quote.translation != p.quote.text
    # The diagnosis is shared: same terms, same training.
    assert cy.training is content.training and cy.topics["bullying"].terms == content.topics["bullying"].terms


def test_the_welsh_content_says_no_english_sentence(content):
    assert_no_english(_welsh_texts(content.in_language("cy")), "content/cy")


def test_the_samaritans_welsh_language_line_is_given(content):
    cy = content.in_language("cy")
    assert "0808 164 0123" in cy.routes["samaritans"].contact and "116 123" in cy.routes["samaritans"].contact
    assert "0808 164 0123" in cy.escalation.urgent_line
    for rid, route in content.routes.items():
        for number in ("999", "116 123", "0808 80 10 800", "0300 123 1100", "020 3117 2520"):
            if number in route.contact:
                assert number in cy.routes[rid].contact, f"{rid} keeps {number}"


def test_the_english_checker_can_fail():
    assert english_in("Next step: tell the team what you know") == ["Next", "step", "the", "team", "what", "you"]
    assert english_in("Y cam nesaf: dywedwch wrth y tîm beth rydych chi'n ei wybod") == []
    assert english_in("\u201cManagement is doing things right\u201d") == [], (
        "quotations stay in their source's language"
    )
    assert english_in("Teipiwch 'what do you store?' i weld") == [], "a command the bot understands is not a sentence"
    assert english_in("\u2014 Leadership vs Management in Local Government: Why Both Matter") == [], "a real title"


def test_content_check_names_every_gap_between_the_languages(content_copy):
    def drop_step(data):
        data["next_steps"] = [s for s in data["next_steps"] if s["id"] != "weekly-review"]

    def extra_nudge(data):
        data["nudges"].append({"id": "no-such-nudge", "title": "Teitl", "text": "Testun.", "question": "Cwestiwn?"})

    def drop_translation_add_terms(data):
        data["principles"][0]["quote"].pop("translation")
        data["principles"][1]["terms"] = ["arwain"]

    def drop_greeting(data):
        data.pop("greeting")

    edit_yaml(content_copy / "cy" / "next_steps.yaml", drop_step)
    edit_yaml(content_copy / "cy" / "nudges.yaml", extra_nudge)
    edit_yaml(content_copy / "cy" / "principles.yaml", drop_translation_add_terms)
    edit_yaml(content_copy / "cy" / "messages.yaml", drop_greeting)
    (content_copy / "cy" / "training.yaml").write_text("examples: []\n")
    result = subprocess.run(
        [LEADBOT, "content", "check", str(content_copy)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    err = result.stderr
    assert "cy/next_steps.yaml: entry next_steps weekly-review: field -: missing entry: not translated" in err
    assert (
        "cy/nudges.yaml: entry nudges no-such-nudge: field id: extra entry: there is no English entry with this id"
        in err
    )
    assert "cy/principles.yaml: entry principles drucker-right-things: field quote.translation: missing" in err
    assert "cy/principles.yaml: entry principles meaning-or-structure: field terms: extra field" in err
    assert "cy/messages.yaml: entry -: field greeting: missing" in err
    assert "cy/training.yaml: entry -: field -: extra file" in err
    assert "Traceback" not in err


def test_a_welsh_phrase_must_keep_what_the_bot_fills_in(content_copy):
    path = content_copy / "cy" / "wording.yaml"
    path.write_text(
        path.read_text().replace(
            'quiz_title: "Prawf cyflym, cwestiwn {n}"', 'quiz_title: "Prawf cyflym, cwestiwn {rhif}"'
        )
    )
    with pytest.raises(ContentInvalid) as info:
        load_content(content_copy)
    [error] = [str(e) for e in info.value.errors]
    assert error.startswith("cy/wording.yaml: entry -: field phrases:")
    assert "phrase quiz_title: {rhif} is not something the bot fills in here" in error and "must keep {n}" in error


def test_content_without_a_welsh_folder_speaks_english_only(content_copy):
    shutil.rmtree(content_copy / "cy")
    plain = load_content(content_copy)
    assert plain.in_language("cy") is plain and list(plain.translations) == ["en"]


# --- which language -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Dydy'r tîm ddim yn deall pam rydyn ni'n newid y system",
        "Mae pawb yn hwyr gyda'r gwaith ac does neb yn gwybod pwy sy'n gyfrifol",
        "mae'r team yn struggling efo'r new system",  # Welsh with English nouns, as people write
        "Diolch yn fawr",
        "shwmae",
    ],
)
def test_a_message_in_welsh_is_seen_as_welsh(text):
    assert language.looks_welsh(text) is True


@pytest.mark.parametrize(
    "text, expected",
    [
        ("half the team still think we're doing the old triage", False),
        ("I had a chat with Dafydd about the rota", False),  # a Welsh name is not Welsh
        ("Siân", None),
        ("ok", None),
        ("2", None),
    ],
)
def test_english_and_undecided_messages(text, expected):
    assert language.looks_welsh(text) is expected


@pytest.mark.parametrize(
    "text, code", [("Cymraeg", "cy"), ("cymraeg plis", "cy"), ("In Welsh", "cy"), ("English", "en"), ("Saesneg!", "en")]
)
def test_saying_the_language_switches(text, code):
    assert language.switch_request(text) == code


def test_talking_about_english_is_not_a_switch():
    assert language.switch_request("my English team keeps missing handovers") is None


def test_the_order_of_choice():
    f = language.fallback
    assert f(stored="en", locale="cy-GB", default="cy") == "en", "the person's own choice comes first"
    assert f(stored=None, locale="cy_GB", default="en") == "cy", "then a Welsh locale"
    assert f(stored=None, locale="en-US", default="cy") == "cy", "an English locale is not a choice: the default holds"
    c = language.carried
    assert c(text="Mae'r gwaith yn hwyr eto", pressed=False, conversation="en") == "cy", "Welsh is answered in Welsh"
    assert c(text="2", pressed=False, conversation="cy") == "cy", "a typed choice carries on in its buttons' language"
    assert c(text="the rota is a mess again", pressed=False, conversation="cy") is None, (
        "English text asks the person's setting"
    )
    assert c(text=None, pressed=True, conversation="cy") == "cy"


async def test_the_choice_is_kept_per_person_and_forget_me_deletes_it(conversations, memory_store, content):
    from dialogs.models import ConversationKey, Inbound

    dm = ConversationKey(platform="console", workspace_id="local", user_id="nia", conversation_id="dm")
    other = dm.model_copy(update={"conversation_id": "elsewhere"})
    [note, greeting] = (await conversations.handle(Inbound(key=dm, surface="console", text="Cymraeg"))).replies
    assert note.language == "cy" and greeting.lines == [content.in_language("cy").messages.greeting]
    assert memory_store.languages == {("console", "local", "nia"): "cy"}, "only the code is kept"
    [reply] = (await conversations.handle(Inbound(key=other, surface="console", text="thanks"))).replies
    assert reply.language == "cy", "the person's choice, in another conversation too"
    [forgot] = (await conversations.handle(Inbound(key=dm, surface="console", text="forget me"))).replies
    assert forgot.language == "cy" and memory_store.languages == {}
    [reply] = (await conversations.handle(Inbound(key=other, surface="console", text="thanks"))).replies
    assert reply.language == "en", "forgotten: back to the default"


def test_nudge_schedules_and_bank_holidays_are_described_in_welsh(content):
    from datetime import date

    from dialogs.nudges.commands import describe_day, describe_schedule, holiday_name
    from dialogs.nudges.schedule import Schedule

    cy = content.in_language("cy")
    said = describe_schedule(cy, Schedule(weekday=3, region="northern-ireland", language="bilingual"))
    assert (
        said.startswith("bob dydd Iau am 09:00") and "yng Ngogledd Iwerddon" in said and "y Gymraeg yn gyntaf" in said
    )
    assert_no_english([said])
    assert describe_day(cy, date(2025, 4, 21)) == "dydd Llun 21 Ebrill"
    assert holiday_name(cy, "Easter Monday") == "Dydd Llun y Pasg"
    assert holiday_name(cy, "Boxing Day (observed)") == "Gŵyl San Steffan (gŵyl wedi'i symud)"
    assert holiday_name(cy, "A holiday nobody has translated") == "A holiday nobody has translated", "kept, not lost"
    assert holiday_name(content, "Boxing Day (observed)") == "Boxing Day (observed)"
