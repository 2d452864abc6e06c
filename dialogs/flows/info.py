"""Help, greetings, thanks, privacy and the other things that are not a team problem."""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.models import Reply


def help_reply(content: Content) -> Reply:
    m = content.messages
    return Reply(kind="info", title=m.help_title, lines=list(m.help))


def about_reply(content: Content) -> Reply:
    return Reply(kind="info", lines=list(content.messages.about))


def privacy_reply(content: Content, retention_days: int) -> Reply:
    m = content.messages
    rows = [(i.what, i.why, i.how_long.replace("{retention_days}", str(retention_days))) for i in m.stored]
    return Reply(kind="info", title=m.privacy_intro, table=rows)


def simple(content: Content, key: str, kind: str = "notice") -> Reply:
    return Reply(kind=kind, lines=[getattr(content.messages, key)])


INTENT_MESSAGES = {
    "greeting": "greeting",
    "thanks": "thanks",
    "off_topic": "off_topic",
    "unclear": "unclear",
    "empty": "empty",
}


def none_reply(content: Content, intent: str | None, retention_days: int) -> Reply:
    """The reply to a message that is not a team problem, by what kind of message it was."""
    if intent == "help":
        return help_reply(content)
    if intent == "about":
        return about_reply(content)
    if intent == "privacy":
        return privacy_reply(content, retention_days)
    return simple(content, INTENT_MESSAGES.get(intent or "", "not_a_team_problem"), kind="info")
