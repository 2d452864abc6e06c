"""Sensitive matters: no coaching, a kind word and the right routes.

A topic's own block (with the urgent line for urgent topics) is shown only when
the diagnosis is sure of the topic. Otherwise the reply says plainly that the
bot cannot tell which kind of matter it is, and gives the routes every
sensitive matter shares plus those of the likeliest topics, each under its
name (led by the urgent line when one of them is urgent): never another
topic's block, and never the self-harm wording by default.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.content_loader import Content
from dialogs.content_schema import PLACEHOLDER
from dialogs.diagnosis.types import Diagnosis
from dialogs.models import Reply


def contact_text(content: Content, contact: str) -> str:
    """A route's contact, or a plain word that the organisation has not filled it in yet."""
    return content.say("not_filled_in") if PLACEHOLDER.search(contact) else contact


def _route_line(content: Content, route_id: str) -> str:
    route = content.routes[route_id]
    contact = route.contact
    if PLACEHOLDER.search(contact):
        # Filled in for English but not yet in the translation: the phone number or address is the same.
        english = content.in_language("en").routes.get(route_id)
        if english is not None and not PLACEHOLDER.search(english.contact):
            contact = english.contact
    return f"\u2022 {route.name}: {contact_text(content, contact)} ({route.when})"


def escalation_reply(
    content: Content, topic_id: str | None, sure: bool = True, alternatives: Sequence[str] = ()
) -> Reply:
    esc = content.escalation
    topic = content.topics.get(topic_id or "")
    if topic is not None and sure:
        lines: list[str] = []
        if topic.urgent:
            lines.append(esc.urgent_line)
        lines.append(topic.reply)
        lines.append(esc.intro)
        lines.extend(_route_line(content, r) for r in topic.routes)
        lines.append(esc.outro)
        return Reply(kind="escalation", title=topic.name, lines=lines)
    return unsure_reply(content, [t for t in alternatives if t in content.topics] or ([topic.id] if topic else []))


def unsure_reply(content: Content, likely: Sequence[str]) -> Reply:
    """The honest block: shared routes, then the likeliest topics' own routes under their names.

    When one of the likeliest topics is urgent, the urgent line (999, Samaritans) leads, as
    it leads that topic's own block: a message read as "a mental-health crisis or domestic
    abuse" may be a risk to life, and missing the line costs far more than showing it.
    """
    esc = content.escalation
    lines = [esc.unsure.reply, esc.intro]
    if any(content.topics[t].urgent for t in likely if t in content.topics):
        lines.insert(0, esc.urgent_line)
    shown = list(esc.unsure.routes)
    lines.extend(_route_line(content, r) for r in shown)
    for topic_id in likely:
        topic = content.topics[topic_id]
        extra = [r for r in topic.routes if r not in shown]
        if not extra:
            continue
        lines.append(esc.unsure.if_about.format(topic=topic.name[:1].lower() + topic.name[1:]))
        lines.extend(_route_line(content, r) for r in extra)
        shown.extend(extra)
    lines.append(esc.outro)
    return Reply(kind="escalation", title=esc.unsure.title, lines=lines)


def offers_way_back(content: Content, d: Diagnosis, ask_below: float, reply: Reply | None = None) -> bool:
    """Whether an escalation carries the "It isn't a sensitive matter" button (`reply`: its reply, if built).

    Only when it may be a false alarm: the model escalated alone (no term from the list), less surely
    than the bar at which the bot commits to a coaching reading, and the reply has no urgent line: a
    possible risk to life is never offered a way back, however unsure the reading.
    """
    if d.first_move != "escalate" or d.sensitive_terms or d.confidence >= ask_below:
        return False
    reply = reply or escalation_reply(content, d.topic, d.topic_sure, d.topic_alternatives)
    return content.escalation.urgent_line not in reply.lines
