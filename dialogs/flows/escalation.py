"""Sensitive matters: no coaching, a kind word and the right routes."""

from __future__ import annotations

from dialogs.content_loader import Content
from dialogs.content_schema import PLACEHOLDER
from dialogs.models import Reply

NOT_FILLED_IN = "contact details not added yet: ask your HR team"


def contact_text(contact: str) -> str:
    """A route's contact, or a plain word that the organisation has not filled it in yet."""
    return NOT_FILLED_IN if PLACEHOLDER.search(contact) else contact


def escalation_reply(content: Content, topic_id: str | None) -> Reply:
    esc = content.escalation
    topic = content.topics.get(topic_id or "") or esc.topics[0]
    lines: list[str] = []
    if topic.urgent:
        lines.append(esc.urgent_line)
    lines.append(topic.reply)
    lines.append(esc.intro)
    for route_id in topic.routes:
        route = content.routes[route_id]
        lines.append(f"\u2022 {route.name}: {contact_text(route.contact)} ({route.when})")
    lines.append(esc.outro)
    return Reply(kind="escalation", title=topic.name, lines=lines)
