"""Render a `Reply` as an Adaptive Card in a message Activity.

The card declares schema 1.2, the lowest version whose features it uses (the
Monospace font for poll bars and the style of its buttons): Teams clients,
mobile ones above all, have shown "this card couldn't be displayed" for 1.5
cards. tests/test_teams_cards.py works the version out from the features and
pins it, so a feature from a later version cannot slip in unnoticed.

Every card carries a plain-text fallback: `fallbackText` on the card and
`summary` on the activity (what Teams shows in notifications and the activity
feed, and what a screen reader can fall back on). Each choice is an
Action.Submit whose data routes the press back into the same dialog:
{"leadbot": "choice", "value": ..., "token": ...}.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory
from botbuilder.schema import Activity, ActivityTypes

from bot import platform_words as wording
from bot.textbars import tally_lines
from dialogs.models import Reply

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.2"
SUMMARY_MAX = 1000  # a notification shows a line or two; the card has the rest
TITLE_COLOUR = {"escalation": "Attention", "error": "Warning"}


def _text(text: str, **style: Any) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _body(reply: Reply, compact: bool) -> list[dict]:
    body: list[dict] = []
    if reply.title:
        body.append(_text(reply.title, weight="Bolder", size="Medium", color=TITLE_COLOUR.get(reply.kind, "Default")))
    lines = reply.lines[:1] if compact else reply.lines
    body.extend(_text(line, spacing="Small") for line in lines)
    # Poll results as bars in the card itself; monospace keeps the bars even.
    body.extend(_text(line, fontType="Monospace", spacing="None") for line in tally_lines(reply.tally or []))
    if reply.quote and not compact:
        body.append(
            {
                "type": "Container",
                "style": "emphasis",
                "items": [
                    _text(f"\u201c{reply.quote.text}\u201d", fontType="Default"),
                    _text(f"\u2014 {reply.quote.source}", isSubtle=True, size="Small", spacing="Small"),
                    *(
                        [_text(reply.quote.translation, isSubtle=True, spacing="Small")]
                        if reply.quote.translation
                        else []
                    ),
                ],
            }
        )
    if reply.next_step:
        body.append(_text(reply.next_step_label, weight="Bolder", spacing="Medium"))
        body.append(_text(reply.next_step, spacing="Small"))
    if reply.follow_up and not compact:
        body.append(_text(reply.follow_up, isSubtle=True, spacing="Small"))
    for what, why, how_long in reply.table or []:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    _text(what, weight="Bolder"),
                    _text(why, spacing="Small"),
                    _text(how_long, isSubtle=True, spacing="Small"),
                ],
            }
        )
    return body


def choice_actions(reply: Reply) -> list[dict]:
    return [
        {
            "type": "Action.Submit",
            "title": choice.label,
            "style": "positive" if choice.primary else "default",
            "data": {"leadbot": "choice", "value": choice.value, "token": reply.choice_token},
        }
        for choice in reply.choices
    ]


def private_action(words: wording.Words | None = None) -> dict:
    return {
        "type": "Action.Submit",
        "title": wording.of(words)["teams_continue_privately"],
        "style": "positive",
        "data": {"leadbot": "private"},
    }


def adaptive_card(reply: Reply, compact: bool = False, words: wording.Words | None = None) -> dict:
    """The card for a reply. `compact` is for channels and group chats: short, with an offer to go private.

    Escalations are never shortened: the routes to the right people are the point.
    """
    compact = compact and reply.kind != "escalation"
    plain = reply.plain_text()
    body = _body(reply, compact)
    actions = choice_actions(reply)
    if compact and reply.choices:
        body.append(_text(wording.of(words)["teams_continue_offer"], isSubtle=True, spacing="Medium"))
        actions = [private_action(words)]
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "fallbackText": plain,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def card_activity(reply: Reply, compact: bool = False, words: wording.Words | None = None) -> Activity:
    """A message Activity holding the card, with a plain-text summary for notifications."""
    card = adaptive_card(reply, compact, words)
    plain = card["fallbackText"]
    summary = plain if len(plain) <= SUMMARY_MAX else plain[: SUMMARY_MAX - 1] + "\u2026"
    return Activity(
        type=ActivityTypes.message,
        attachments=[CardFactory.adaptive_card(card)],
        summary=summary,
        speak=reply.title or summary,
        input_hint="acceptingInput" if reply.choices else None,
    )


def text_activity(text: str) -> Activity:
    """A short plain message (confirmations in a channel thread)."""
    return Activity(type=ActivityTypes.message, text=text, text_format="plain")
