"""Adaptive Cards for each kind of Reply: what a manager sees, and the plain text behind it."""

from __future__ import annotations

from bot.teams.cards import adaptive_card, card_activity
from dialogs.models import Choice, Quote, Reply, Tally
from dialogs.nudges.render import render_nudge

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
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    texts = _texts(card)
    assert texts[0] == "Leadership first" and card["body"][0]["weight"] == "Bolder"
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
    escalation = Reply(
        kind="escalation",
        title="This needs the right people",
        lines=["Talk to HR.", "Call the helpline on 0800 000 000."],
    )
    card = adaptive_card(escalation, compact=True)
    assert _texts(card) == ["This needs the right people", "Talk to HR.", "Call the helpline on 0800 000 000."]
    assert card["body"][0]["color"] == "Attention"
    assert "actions" not in card


def test_the_privacy_table_renders_each_row():
    reply = Reply(
        kind="info", title="Here is what I keep", table=[("Conversation state", "To carry on", "Kept for 30 days.")]
    )
    texts = _texts(adaptive_card(reply))
    assert texts == ["Here is what I keep", "Conversation state", "To carry on", "Kept for 30 days."]


# --- the schema version each card declares -----------------------------------------------------
#
# The Adaptive Card schema version that introduced each element, property and property value a card
# can use, from the schema explorer (adaptivecards.io/explorer, learn.microsoft.com/adaptive-cards/schema-explorer).
# Anything not listed here is unknown to this test and fails it: add it with its version before using it.
ELEMENTS = {
    "TextBlock": "1.0",
    "Container": "1.0",
    "ColumnSet": "1.0",
    "Column": "1.0",
    "Image": "1.0",
    "FactSet": "1.0",
    "ActionSet": "1.2",
    "RichTextBlock": "1.2",
    "Table": "1.5",
    "Action.Submit": "1.0",
    "Action.OpenUrl": "1.0",
    "Action.ShowCard": "1.0",
    "Action.ToggleVisibility": "1.2",
    "Action.Execute": "1.4",
}
PROPERTIES = {
    "TextBlock": {
        "text": "1.0",
        "wrap": "1.0",
        "size": "1.0",
        "weight": "1.0",
        "color": "1.0",
        "isSubtle": "1.0",
        "spacing": "1.0",
        "separator": "1.0",
        "maxLines": "1.0",
        "horizontalAlignment": "1.0",
        "fontType": "1.2",
        "style": "1.5",
    },
    "Container": {
        "items": "1.0",
        "style": "1.0",
        "spacing": "1.0",
        "separator": "1.0",
        "bleed": "1.2",
        "minHeight": "1.2",
        "rtl": "1.5",
    },
    "Action.Submit": {
        "title": "1.0",
        "data": "1.0",
        "style": "1.2",
        "iconUrl": "1.1",
        "associatedInputs": "1.3",
        "isEnabled": "1.5",
        "tooltip": "1.5",
        "mode": "1.5",
    },
    "AdaptiveCard": {
        "$schema": "1.0",
        "version": "1.0",
        "body": "1.0",
        "actions": "1.0",
        "fallbackText": "1.0",
        "speak": "1.0",
        "lang": "1.0",
        "minHeight": "1.2",
        "rtl": "1.5",
        "selectAction": "1.1",
        "verticalContentAlignment": "1.1",
    },
}
VALUES = {
    ("Container", "style", "emphasis"): "1.0",
    ("Container", "style", "default"): "1.0",
    ("Container", "style", "good"): "1.2",
    ("Container", "style", "attention"): "1.2",
    ("Container", "style", "warning"): "1.2",
    ("Container", "style", "accent"): "1.2",
    ("TextBlock", "fontType", "Default"): "1.2",
    ("TextBlock", "fontType", "Monospace"): "1.2",
    ("TextBlock", "style", "heading"): "1.5",
    ("TextBlock", "style", "columnHeader"): "1.5",
}


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def needed_version(card: dict) -> str:
    """The lowest schema version that has every element, property and value this card uses."""
    found = ["1.0"]

    def visit(node: dict, kind: str) -> None:
        assert kind in ELEMENTS or kind == "AdaptiveCard", (
            f"unknown element {kind}: add it to ELEMENTS with its version"
        )
        found.append(ELEMENTS.get(kind, "1.0"))
        for key, value in node.items():
            if key == "type":
                continue
            assert key in PROPERTIES.get(kind, {}), f"{kind}.{key} is not in this test's table: add it with its version"
            found.append(PROPERTIES[kind][key])
            if isinstance(value, str) and (kind, key, value) in VALUES:
                found.append(VALUES[(kind, key, value)])
        for child in node.get("body", []) + node.get("items", []) + node.get("actions", []):
            visit(child, child["type"])

    visit(card, "AdaptiveCard")
    return max(found, key=_version)


def every_card() -> list[dict]:
    from dialogs.content_loader import load_content

    content = load_content()
    nudge = next(n for n in content.nudges.values() if n.poll)
    store = Reply(kind="info", title="Here is what I keep", table=[("Conversation state", "To carry on", "30 days")])
    escalation = Reply(kind="escalation", title="This needs the right people", lines=["Talk to HR."])
    counted = render_nudge(content, nudge, "2025-W14", counts={"meaning": 3, "about_right": 1})
    replies = [
        DIAGNOSIS,
        store,
        escalation,
        counted,
        render_nudge(content, nudge, "2025-W14"),
        Reply(kind="error", title="Sorry", lines=["Try again."]),
    ]
    return [adaptive_card(r, compact) for r in replies for compact in (False, True)]


def test_cards_declare_the_lowest_schema_version_their_features_need_and_that_is_1_2():
    for card in every_card():
        assert card["version"] == needed_version(card) or _version(needed_version(card)) < _version(card["version"]), (
            card
        )
    # Pinned: 1.2 for the Monospace poll bars and the buttons' styles. A later version needs a reason (and a
    # look at which Teams clients show it), not a stray property: mobile clients have refused 1.5 cards.
    assert {card["version"] for card in every_card()} == {"1.2"}
    assert max((needed_version(c) for c in every_card()), key=_version) == "1.2", (
        "no card needs less, or 1.2 would be too high"
    )


def test_poll_results_are_bars_in_the_card_itself():
    reply = Reply(
        kind="nudge",
        title="This week",
        lines=["We need more: meaning 3, structure 0, about right 1"],
        tally=[
            Tally(label="More meaning", count=3),
            Tally(label="More structure", count=0),
            Tally(label="About right", count=1),
        ],
    )
    card = adaptive_card(reply)
    bars = [b for b in card["body"] if b.get("fontType") == "Monospace"]
    assert [b["text"] for b in bars] == [
        "\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2591\u2591 More meaning 3",
        "\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591 More structure 0",
        "\u2588\u2588\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591 About right 1",
    ], "each bar is the option's share of the votes, in tenths"
