"""Messengers for a process without the web server (`leadbot nudge send-due`): one `Messenger` per platform.

`leadbot serve` uses the messengers its platforms already hold (one pooled Slack
session, the Teams CloudAdapter; see `bot.server.app`). A platform with no
messenger has its due channels left for later (nothing is claimed), and the
run says so.
"""

from __future__ import annotations

import aiohttp

from bot.delivery import Messenger
from bot.metrics import Metrics
from bot.services import Services
from bot.slack.messenger import build_messenger as slack_messenger
from bot.teams.messenger import build_messenger as teams_messenger


def build_messengers(
    services: Services, metrics: Metrics | None = None, session: aiohttp.ClientSession | None = None
) -> dict[str, Messenger]:
    """{platform: Messenger} for every platform this deployment can post to.

    Slack needs a bot token (SLACK_BOT_TOKEN, or OAuth installations in the database).
    Teams is always there: it posts only to channels whose conversation reference was
    stored when the bot was added, and without MICROSOFT_APP_ID only to this machine.
    `session`: an aiohttp.ClientSession for Slack's calls to share (otherwise one per call).
    """
    settings = services.settings
    metrics = metrics or Metrics()
    out: dict[str, Messenger] = {"teams": teams_messenger(services, metrics)}
    if settings.slack_bot_token is not None or settings.slack_oauth:
        out["slack"] = slack_messenger(settings, services.db, metrics, session)
    return out
