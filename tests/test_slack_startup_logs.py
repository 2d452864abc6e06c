"""What an operator reads when `leadbot serve` starts with Slack: nothing misleading, nothing needlessly withheld."""

from __future__ import annotations

import json
import logging

from slack_bolt.logger.messages import warning_token_skipped

from bot.logs import WITHHELD, JsonFormatter
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_harness import T1_TOKEN, slack_settings, start_leadbot


async def start_and_read_warnings(tmp_path, cache_dir, caplog, **options) -> list[logging.LogRecord]:
    fake = FakeSlackApi()
    await fake.start()
    caplog.set_level(logging.WARNING)
    try:
        bot = await start_leadbot(
            slack_settings(f"sqlite+aiosqlite:///{tmp_path / 'start.db'}", fake, cache_dir, **options)
        )
        await bot.stop()
    finally:
        await fake.stop()
    return [r for r in caplog.records if r.levelno >= logging.WARNING and not r.name.startswith("bot.teams")]


async def test_one_workspace_token_starts_without_a_warning(tmp_path, cache_dir, caplog, monkeypatch):
    # Set as an operator sets it: Bolt also reads it from the environment, and used to warn it "will be unused".
    monkeypatch.setenv("SLACK_BOT_TOKEN", T1_TOKEN)
    warnings = await start_and_read_warnings(tmp_path, cache_dir, caplog, token=T1_TOKEN)
    assert [(r.name, r.getMessage()) for r in warnings] == []


async def test_a_token_set_next_to_oauth_is_named_as_ignored_in_plain_words(tmp_path, cache_dir, caplog, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", T1_TOKEN)
    warnings = await start_and_read_warnings(tmp_path, cache_dir, caplog, token=T1_TOKEN, oauth=True)
    assert [r.getMessage() for r in warnings] == [
        "SLACK_BOT_TOKEN is ignored: with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, each workspace's token comes from its installation"
    ], "one warning an operator can act on; no Bolt warning about its own constructor arguments"


def test_bolt_set_up_notices_are_shown_and_everything_else_it_logs_is_withheld():
    formatter = JsonFormatter()

    def shown(msg: str, args=None) -> str:
        record = logging.LogRecord("slack_bolt.AsyncApp", logging.WARNING, __file__, 1, msg, args, None)
        return json.loads(formatter.format(record))["msg"]

    assert shown(warning_token_skipped()) == warning_token_skipped(), "a fixed sentence about set-up is readable"
    assert shown("Unhandled request (%s)", ({"event": {"text": "my manager shouts at me"}},)) == WITHHELD
    assert shown(warning_token_skipped() + " %s", ("my manager shouts at me",)) == WITHHELD
