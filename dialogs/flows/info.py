"""Help, greetings, thanks, privacy and the other things that are not a team problem."""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.flows.coach import quote_for
from dialogs.models import Reply


def help_reply(content: Content) -> Reply:
    m = content.messages
    return Reply(kind="info", title=m.help_title, lines=list(m.help))


def about_reply(content: Content) -> Reply:
    return Reply(kind="info", lines=list(content.messages.about))


DEFAULT_AUDIT_DAYS = 365  # as bot.settings.Settings.audit_days


def stored_rows(
    content: Content, retention_days: int, audit_days: int = DEFAULT_AUDIT_DAYS
) -> list[tuple[str, str, str]]:
    """What is stored, why and for how long, with this deployment's numbers filled in: the one source for
    "what do you store?", the Slack Home tab, /privacy and `leadbot privacy report`."""
    fill = {"{retention_days}": str(retention_days), "{audit_days}": str(audit_days)}

    def filled(text: str) -> str:
        for word, value in fill.items():
            text = text.replace(word, value)
        return text

    return [(i.what, i.why, filled(i.how_long)) for i in content.messages.stored]


# The principle quoted under the answer to "what's the difference?": lead for meaning, manage for structure.
CONCEPT_PRINCIPLE = "meaning-or-structure"


def concept_reply(content: Content) -> Reply:
    """The difference between leading and managing, in the bot's words, with the principle's quotation when
    the content still has it (an editor may remove it; then the words stand alone)."""
    m = content.messages
    quote = quote_for(content, CONCEPT_PRINCIPLE) if CONCEPT_PRINCIPLE in content.principles else None
    return Reply(kind="info", title=m.concept_title, lines=list(m.concept), quote=quote, follow_up=m.concept_invite)


def privacy_reply(content: Content, retention_days: int, audit_days: int = DEFAULT_AUDIT_DAYS) -> Reply:
    return Reply(
        kind="info", title=content.messages.privacy_intro, table=stored_rows(content, retention_days, audit_days)
    )


def simple(content: Content, key: str, kind: str = "notice") -> Reply:
    return Reply(kind=kind, lines=[getattr(content.messages, key)])


INTENT_MESSAGES = {
    "greeting": "greeting",
    "thanks": "thanks",
    "off_topic": "off_topic",
    "copy": "no_copy",
    "unclear": "unclear",
    "empty": "empty",
}


def none_reply(
    content: Content, intent: str | None, retention_days: int, audit_days: int = DEFAULT_AUDIT_DAYS
) -> Reply:
    """The reply to a message that is not a team problem, by what kind of message it was."""
    if intent == "help":
        return help_reply(content)
    if intent == "about":
        return about_reply(content)
    if intent == "concept":
        return concept_reply(content)
    if intent == "privacy":
        return privacy_reply(content, retention_days, audit_days)
    return simple(content, INTENT_MESSAGES.get(intent or "", "not_a_team_problem"), kind="info")
