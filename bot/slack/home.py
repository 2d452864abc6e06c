"""The App Home tab: what leadbot does, how to use it, what it stores, and the manager's settings."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import HEADER_TEXT, button, context, escape, paragraphs, plain, section
from bot.slack.prefs import Prefs
from dialogs.content_loader import Content
from dialogs.flows.info import DEFAULT_AUDIT_DAYS, privacy_reply

QUOTES_ACTION = "leadbot_home_quotes"
LANGUAGE_ACTION = "leadbot_home_language"
LANGUAGE_NAMES = {
    "cy": "Cymraeg",
    "en": "English",
}  # each in itself: someone who cannot read the other can still find theirs
MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab view


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def home_view(
    content: Content, retention_days: int, prefs: Prefs, audit_days: int = DEFAULT_AUDIT_DAYS
) -> dict[str, Any]:
    """The Home tab in the person's language (`content` is already in it)."""
    m, w = content.messages, content.wording
    blocks: list[dict[str, Any]] = [header(w["slack_home_title"])]
    blocks += [header(w["slack_home_what"]), *paragraphs(list(m.about))]
    blocks += [header(w["slack_home_how"]), *paragraphs(list(m.help))]
    usage = [
        w[k]
        for k in ("slack_home_usage_dm", "slack_home_usage_channel", "slack_home_usage_slash", "slack_home_usage_help")
    ]
    blocks += [section("\n".join(f"\u2022 {line}" for line in usage))]
    stored = privacy_reply(content, retention_days, audit_days)  # the same rows as "what do you store?"
    blocks += [header(w["slack_home_stored"]), section(escape(m.privacy_intro))]
    for what, why, how_long in stored.table or []:
        blocks.append(section(f"*{escape(what)}*\n{escape(why)}\n_{escape(how_long)}_"))
    on = prefs.show_quotes
    other = "en" if content.language == "cy" else "cy"
    toggle = button(w["slack_home_turn_off"] if on else w["slack_home_turn_on"], QUOTES_ACTION, "off" if on else "on")
    blocks += [
        header(w["slack_home_settings"]),
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{w['slack_home_quotes']}: *{w['slack_home_on'] if on else w['slack_home_off']}*",
            },
            "accessory": toggle,
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{w['slack_home_language']}: *{LANGUAGE_NAMES.get(content.language, content.language)}*",
            },
            "accessory": button(LANGUAGE_NAMES[other], LANGUAGE_ACTION, other),
        },
        context(w["slack_home_forget"]),
    ]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
