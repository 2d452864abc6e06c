"""Adaptive Cards for each kind of Reply: what a manager sees, and the plain text behind it."""

from __future__ import annotations

from bot.teams.cards import adaptive_card, card_activity
from dialogs.models import Choice, Quote, Reply

DIAGNOSIS = Reply(
    kind="diagnosis",
    title="Leadership first",
    lines=["The team is unsure where it is heading.", "A second line of explanation."],
    quote=Quote(text="Management is doing things right; leadership is doing the right things.", source="Peter Drucker"),
    next_step="Tell the team, in one sentence, what this quarter is for.",
    follow_up="What would you say if someone asked why it matters?",
    choices=[Choice(label="That's it", value="done", primary=True), Choice(label="Why?", value="why")],
    choice_token="ab12cd34",
)


def _texts(card: dict) -> list[str]:
    out = []

    def walk(items):
        for item in items or []:
            if item["type"] == "TextBlock":
                out.append(item["text"])
            walk(item.get("items"))

    walk(card["body"])
    return out


def test_a_diagnosis_card_shows_everything_and_routes_each_button_back():
    card = adaptive_card(DIAGNOSIS)
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json" and card["version"] == "1.5"
    texts = _texts(card)
    assert texts[0] == "Leadership first" and card["body"][0]["style"] == "heading"
    assert "\u201cManagement is doing things right; leadership is doing the right things.\u201d" in texts
    assert "\u2014 Peter Drucker" in texts
    assert texts[texts.index("Next step") + 1] == DIAGNOSIS.next_step
    assert DIAGNOSIS.follow_up in texts
    assert all(block.get("wrap") for block in card["body"] if block["type"] == "TextBlock"), "long lines wrap"
    assert [a["type"] for a in card["actions"]] == ["Action.Submit", "Action.Submit"]
    assert card["actions"][0]["style"] == "positive"
    assert [a["data"] for a in card["actions"]] == [
        {"leadbot": "choice", "value": "done", "token": "ab12cd34"},
        {"leadbot": "choice", "value": "why", "token": "ab12cd34"},
    ]
    assert card["fallbackText"] == DIAGNOSIS.plain_text()


def test_the_activity_carries_a_plain_text_summary_for_notifications():
    activity = card_activity(DIAGNOSIS)
    assert activity.type == "message" and activity.text is None, "no duplicate text above the card"
    assert activity.summary == DIAGNOSIS.plain_text()
    assert activity.speak == "Leadership first"
    (attachment,) = activity.attachments
    assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
    long = Reply(kind="info", lines=["word " * 1000])
    assert len(card_activity(long).summary) <= 1000


def test_a_channel_card_is_short_and_offers_a_private_chat():
    card = adaptive_card(DIAGNOSIS, compact=True)
    texts = _texts(card)
    assert "A second line of explanation." not in texts and DIAGNOSIS.follow_up not in texts
    assert DIAGNOSIS.next_step in texts, "the one concrete step stays"
    assert [a["title"] for a in card["actions"]] == ["Continue in a private chat"]
    assert card["actions"][0]["data"] == {"leadbot": "private"}


def test_an_escalation_is_never_shortened():
    escalation = Reply(kind="escalation", title="This needs the right people", lines=["Talk to HR.", "Call the helpline on 0800 000 000."])
    card = adaptive_card(escalation, compact=True)
    assert _texts(card) == ["This needs the right people", "Talk to HR.", "Call the helpline on 0800 000 000."]
    assert card["body"][0]["color"] == "Attention"
    assert "actions" not in card


def test_the_privacy_table_renders_each_row():
    reply = Reply(kind="info", title="Here is what I keep", table=[("Conversation state", "To carry on", "Kept for 30 days.")])
    texts = _texts(adaptive_card(reply))
    assert texts == ["Here is what I keep", "Conversation state", "To carry on", "Kept for 30 days."]
