"""The App Home tab: what leadbot does, how to use it, what it stores, and the manager's settings."""

from __future__ import annotations

from typing import Any

from bot.slack import wording
from bot.slack.blocks import HEADER_TEXT, button, context, escape, paragraphs, plain, section
from bot.slack.prefs import Prefs
from dialogs.content_loader import Content
from dialogs.flows.info import DEFAULT_AUDIT_DAYS, privacy_reply

QUOTES_ACTION = "leadbot_home_quotes"
MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab view


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def home_view(content: Content, retention_days: int, prefs: Prefs, audit_days: int = DEFAULT_AUDIT_DAYS) -> dict[str, Any]:
    m = content.messages
    blocks: list[dict[str, Any]] = [header(wording.HOME_TITLE)]
    blocks += [header(wording.HOME_WHAT), *paragraphs(list(m.about))]
    blocks += [header(wording.HOME_HOW), *paragraphs(list(m.help))]
    blocks += [section("\n".join(f"\u2022 {line}" for line in wording.HOME_USAGE))]
    stored = privacy_reply(content, retention_days, audit_days)  # the same rows as "what do you store?"
    blocks += [header(wording.HOME_STORED), section(escape(m.privacy_intro))]
    for what, why, how_long in stored.table or []:
        blocks.append(section(f"*{escape(what)}*\n{escape(why)}\n_{escape(how_long)}_"))
    on = prefs.show_quotes
    toggle = button(wording.HOME_TURN_OFF if on else wording.HOME_TURN_ON, QUOTES_ACTION, "off" if on else "on")
    blocks += [
        header(wording.HOME_SETTINGS),
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"{wording.HOME_QUOTES_LABEL}: *{wording.HOME_ON if on else wording.HOME_OFF}*"},
            "accessory": toggle,
        },
        context(wording.HOME_FORGET),
    ]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
