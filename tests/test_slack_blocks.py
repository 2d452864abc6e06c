"""Block Kit rendering inside Slack's limits, and the manifest agreeing with what the bot does."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import blocks
from bot.slack.blocks import ELLIPSIS, decode_choice, encode_choice, render
from bot.slack.home import home_view
from bot.slack.manifest import bot_events, bot_scopes, manifest
from bot.slack.prefs import Prefs
from dialogs.models import Choice, Quote, Reply


def texts_of(block) -> list[str]:
    found = [block["text"]["text"]] if "text" in block else []
    for e in block.get("elements", []):
        found.append(e["text"] if isinstance(e.get("text"), str) else e["text"]["text"])
    return found


def within_limits(rendered) -> None:
    assert rendered.text.strip(), "always a plain-text fallback"
    assert len(rendered.text) <= blocks.FALLBACK_TEXT
    assert len(rendered.blocks) <= blocks.MAX_BLOCKS
    for b in rendered.blocks:
        for t in texts_of(b):
            assert t.strip(), f"Slack rejects empty text: {b}"
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= blocks.HEADER_TEXT and b["text"]["type"] == "plain_text"
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= blocks.SECTION_TEXT
        if b["type"] == "actions":
            assert 1 <= len(b["elements"]) <= blocks.ACTIONS_PER_BLOCK
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= blocks.BUTTON_TEXT
                assert len(e["value"]) <= blocks.BUTTON_VALUE
            ids = [e["action_id"] for e in b["elements"]]
            assert len(ids) == len(set(ids))


def test_a_diagnosis_renders_header_sections_context_and_buttons():
    reply = Reply(
        kind="diagnosis",
        title="Leadership first",
        lines=["They are unsure why."],
        quote=Quote(text="Doing the right things.", source="Peter Drucker"),
        next_step="Say the purpose in one sentence.",
        choices=[Choice(label="Why?", value="why", primary=True)],
        choice_token="t0k3n",
    )
    r = render(reply)
    assert [b["type"] for b in r.blocks] == ["header", "section", "section", "context", "section", "actions"]
    assert r.blocks[3]["elements"][0]["text"] == "\u2014 Peter Drucker"
    button = r.blocks[-1]["elements"][0]
    assert button["style"] == "primary"
    assert decode_choice(button["value"]) == ("t0k3n", "why")
    assert "Leadership first" in r.text and "Peter Drucker" in r.text
    within_limits(r)


def test_long_text_is_cut_cleanly_with_an_ellipsis_never_rejected():
    word = "accountability "
    reply = Reply(
        kind="info",
        title="T" * 400,
        lines=[word * 400, "short"],
        next_step=word * 300,
        choices=[Choice(label="a very long button label " * 10, value=f"v{i}") for i in range(60)],
        choice_token="tok",
    )
    r = render(reply)
    within_limits(r)
    header = r.blocks[0]["text"]["text"]
    assert header.endswith(ELLIPSIS) and len(header) == blocks.HEADER_TEXT
    long_section = r.blocks[1]["text"]["text"]
    assert long_section.endswith(ELLIPSIS)
    assert long_section[:-1].endswith("accountability"), "cut at a word boundary"
    assert sum(len(b["elements"]) for b in r.blocks if b["type"] == "actions") == 60, "every choice kept, 25 to a block"


def test_fifty_blocks_at_most_and_the_buttons_survive():
    reply = Reply(
        kind="info",
        table=[(f"row {i}", "why", "how long") for i in range(80)],
        choices=[Choice(label="OK", value="ok")],
        choice_token="t",
    )
    r = render(reply)
    assert len(r.blocks) == blocks.MAX_BLOCKS
    assert r.blocks[-1]["type"] == "actions"
    assert r.blocks[-2]["type"] == "context", "a note that it was shortened"
    within_limits(r)


def test_mrkdwn_control_characters_are_escaped():
    r = render(Reply(kind="info", lines=["Pay & conditions <b> for <!channel>"]))
    assert r.blocks[0]["text"]["text"] == "Pay &amp; conditions &lt;b&gt; for &lt;!channel&gt;"
    assert "<!channel>" not in r.text, "no @channel ping through the fallback either"


def test_a_cut_never_leaves_half_an_escape():
    cut = blocks.cut("a" * 2990 + " &amp;&amp;&amp;&amp;", 3000)
    assert not re.search(r"&[a-z]{0,3}" + ELLIPSIS, cut)


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=500),
    lines=st.lists(st.text(max_size=5000), max_size=8),
    labels=st.lists(st.text(min_size=1, max_size=200), max_size=40),
)
def test_any_reply_stays_within_limits(title, lines, labels):
    reply = Reply(
        kind="info",
        title=title or None,
        lines=lines,
        choices=[Choice(label=x, value=str(i)) for i, x in enumerate(labels)],
        choice_token="t",
    )
    within_limits(render(reply))
    within_limits(render(reply, short=True, extra=[blocks.continue_button()]))


def test_choice_values_round_trip_and_garbage_is_refused():
    assert decode_choice(encode_choice("abc", "quiz:side:lead")) == ("abc", "quiz:side:lead")
    assert decode_choice(encode_choice(None, "done")) == (None, "done")
    for garbage in (None, 3, "", "plain", "[1]", '{"t": 1, "v": "x"}', '{"t": "x"}', '{"v": "' + "x" * 300 + '"}'):
        assert decode_choice(garbage) is None


def test_short_replies_keep_the_gist():
    reply = Reply(
        kind="diagnosis",
        title="Management first",
        lines=["why " * 50],
        quote=Quote(text="q", source="s"),
        next_step="Do one thing.",
        follow_up="Then?",
    )
    r = render(reply, short=True, extra=[blocks.continue_button()])
    assert [b["type"] for b in r.blocks] == ["header", "section", "actions"]
    assert "Do one thing." in r.blocks[1]["text"]["text"]
    assert r.blocks[-1]["elements"][0]["text"]["text"] == "Continue privately"


def test_home_view_fits_and_lists_every_stored_row(content):
    view = home_view(content, 45, Prefs(show_quotes=True))
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if "text" in b)
    assert "45 days" in text
    assert len(content.messages.stored) == sum(
        1 for row in content.messages.stored if row.what.replace("&", "&amp;") in text
    )


def test_the_manifest_asks_for_what_the_bot_uses_and_no_more():
    m = manifest()
    assert sorted(bot_scopes()) == [
        "app_mentions:read",
        "chat:write",
        "chat:write.public",
        "commands",
        "im:history",
        "im:write",
        "users:read",
    ]
    assert set(bot_events()) == {"app_home_opened", "app_mention", "message.im", "app_uninstalled", "tokens_revoked"}
    assert m["features"]["app_home"]["home_tab_enabled"] and m["features"]["app_home"]["messages_tab_enabled"]
    assert m["features"]["app_home"]["messages_tab_read_only_enabled"] is False, "managers write to it"
    [command] = m["features"]["slash_commands"]
    assert command["command"] == "/leadbot"
    urls = {
        command["url"],
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events"), "one Request URL for everything"
    assert m["settings"]["interactivity"]["is_enabled"]
    assert m["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert "user" not in m["oauth_config"]["scopes"], "no user scopes: leadbot never acts as a person"


def test_poll_results_are_bars_in_the_message_itself():
    from dialogs.models import Tally

    reply = Reply(
        kind="nudge",
        title="This week",
        lines=["This week we need more: meaning 3, structure 1, about right 0 (4 votes so far)"],
        tally=[
            Tally(label="More meaning", count=3),
            Tally(label="More structure", count=1),
            Tally(label="About right", count=0),
        ],
    )
    rendered = render(reply)
    bars = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section" and "`" in b["text"]["text"]]
    assert bars == [
        "`\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2591\u2591` More meaning 3\n"
        "`\u2588\u2588\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591` More structure 1\n"
        "`\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591` About right 0"
    ], "one bar per option, its share of the votes, in monospace so the bars line up"
    assert "meaning 3, structure 1, about right 0" in rendered.text, "the fallback says the counts in words"
