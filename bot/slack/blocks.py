"""A `Reply` as Block Kit, always with a plain `text` fallback, always inside Slack's limits.

Header for the title, sections for the lines and the next step, a context block
for the quotation's source, an actions block for the choices. Text that would
break a limit is cut at a word boundary with an ellipsis, so Slack never
rejects a message for being too long.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot import platform_words as wording
from bot.textbars import tally_lines
from dialogs.models import Reply

# https://docs.slack.dev/reference/block-kit
MAX_BLOCKS = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_PER_BLOCK = 25
FALLBACK_TEXT = 3000  # Slack truncates `text` past 40,000; notifications show far less
ELLIPSIS = "\u2026"

CHOICE_ACTION = "leadbot_choice:"  # + index: action ids must differ within a message
CONTINUE_ACTION = "leadbot_continue_privately"

Block = dict[str, Any]


@dataclass
class Rendered:
    text: str
    blocks: list[Block] = field(default_factory=list)


# --- text -------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's mrkdwn gives &, < and > meaning; these three must be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` if it fits, otherwise cut at a word boundary near the limit and end with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    if space >= limit * 0.8:
        head = head[:space]
    # never leave half an escape sequence such as "&am" at the end
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and len(head) - amp <= 5:
        head = head[:amp]
    return head.rstrip() + ELLIPSIS


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": cut(text, SECTION_TEXT)}


def plain(text: str, limit: int) -> dict[str, Any]:
    """plain_text on one line; Slack rejects an empty one, so there is always something."""
    return {"type": "plain_text", "text": cut(" ".join(text.split()) or ELLIPSIS, limit), "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def paragraphs(lines: list[str]) -> list[Block]:
    """Lines as few sections as fit, each under the section limit."""
    blocks: list[Block] = []
    current = ""
    for line in (escape(x.strip()) for x in lines if x.strip()):
        joined = f"{current}\n\n{line}" if current else line
        if len(joined) <= SECTION_TEXT:
            current = joined
            continue
        if current:
            blocks.append(section(current))
        current = line  # cut by section() if it alone is too long
    if current:
        blocks.append(section(current))
    return blocks


# --- choices ----------------------------------------------------------------


def encode_choice(token: str | None, value: str) -> str:
    return json.dumps({"t": token, "v": value}, separators=(",", ":"))


def decode_choice(raw: object) -> tuple[str | None, str] | None:
    """(token, value) from a button we rendered, or None for anything we never sent."""
    if not isinstance(raw, str) or len(raw) > BUTTON_VALUE:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    token, value = data.get("t"), data.get("v")
    if not isinstance(value, str) or not (token is None or isinstance(token, str)):
        return None
    if len(value) > 200 or (token is not None and len(token) > 64):
        return None
    return token, value


def button(label: str, action_id: str, value: str, primary: bool = False) -> Block:
    b: Block = {"type": "button", "text": plain(label, BUTTON_TEXT), "action_id": action_id, "value": value}
    if primary:
        b["style"] = "primary"
    return b


def continue_button(words: wording.Words | None = None) -> Block:
    return button(wording.of(words)["slack_continue_privately"], CONTINUE_ACTION, "dm", primary=True)


def choice_buttons(reply: Reply) -> list[Block]:
    buttons = []
    for i, choice in enumerate(reply.choices):
        value = encode_choice(reply.choice_token, choice.value)
        if len(value) <= BUTTON_VALUE:
            buttons.append(button(choice.label, f"{CHOICE_ACTION}{i}", value, choice.primary))
    return buttons


def actions(buttons: list[Block]) -> list[Block]:
    return [
        {"type": "actions", "elements": buttons[i : i + ACTIONS_PER_BLOCK]}
        for i in range(0, len(buttons), ACTIONS_PER_BLOCK)
    ]


# --- the reply --------------------------------------------------------------


def _short_lines(reply: Reply) -> list[str]:
    """In a public thread: the gist only; questions, escalations and notices stay whole."""
    if reply.kind == "diagnosis":
        return []
    if reply.kind == "info":
        return reply.lines[:2]
    return reply.lines


def render(
    reply: Reply,
    *,
    show_quote: bool = True,
    short: bool = False,
    extra: list[Block] | None = None,
    words: wording.Words | None = None,
) -> Rendered:
    content: list[Block] = []
    if reply.title and reply.title.strip():
        content.append({"type": "header", "text": plain(reply.title, HEADER_TEXT)})
    content.extend(paragraphs(_short_lines(reply) if short else reply.lines))
    if reply.tally:  # poll results as bars in the message itself; monospace keeps the bars even
        content.append(
            section(
                "\n".join(
                    f"`{bar}` {escape(rest)}"
                    for bar, _, rest in (line.partition(" ") for line in tally_lines(reply.tally))
                )
            )
        )
    if reply.quote and show_quote and not short:
        quoted = "\n".join(f">{line}" for line in escape(reply.quote.text).splitlines() or [""])
        content.append(section(quoted))
        content.append(context(f"\u2014 {escape(reply.quote.source)}"))
        if reply.quote.translation:
            content.append(section(f"_{escape(reply.quote.translation)}_"))
    if reply.next_step:
        content.append(section(f"*{escape(reply.next_step_label)}:* {escape(reply.next_step)}"))
    if reply.follow_up and not short:
        content.append(section(f"_{escape(reply.follow_up)}_"))
    for what, why, how_long in reply.table or []:
        content.append(section(f"*{escape(what)}*\n{escape(why)}\n_{escape(how_long)}_"))
    action_blocks = actions(choice_buttons(reply) + (extra or []))
    return Rendered(text=fallback(reply, short), blocks=fit(content, action_blocks, words))


def fit(content: list[Block], action_blocks: list[Block], words: wording.Words | None = None) -> list[Block]:
    """At most MAX_BLOCKS, keeping the buttons: content is shortened, with a note that it was."""
    action_blocks = action_blocks[: MAX_BLOCKS - 2]
    room = MAX_BLOCKS - len(action_blocks)
    if len(content) > room:
        content = [*content[: room - 1], context(wording.of(words)["slack_shortened"])]
    return content + action_blocks


def fallback(reply: Reply, short: bool = False) -> str:
    """Plain text for notifications and screen readers; never empty."""
    if short:
        reply = reply.model_copy(update={"lines": _short_lines(reply), "quote": None, "follow_up": None})
    text = reply.plain_text().strip() or (reply.title or "").strip() or ELLIPSIS
    return cut(escape(text), FALLBACK_TEXT)


def notice(text: str) -> Rendered:
    """A one-paragraph message of our own."""
    return Rendered(text=cut(escape(text), FALLBACK_TEXT), blocks=[section(escape(text))])


def chosen(blocks: list[Block], label: str, words: wording.Words | None = None) -> list[Block]:
    """A message whose button was pressed: the buttons go, a note of the choice stays."""
    kept = [b for b in blocks if isinstance(b, dict) and b.get("type") != "actions"]
    note = wording.of(words)["slack_chosen"].replace("{label}", escape(label))
    return fit(kept, [context(note)], words)


def continued(blocks: list[Block], words: wording.Words | None = None) -> list[Block]:
    kept = [b for b in blocks if isinstance(b, dict) and b.get("type") != "actions"]
    return fit(kept, [context(wording.of(words)["slack_continued_privately"])], words)
