"""`create_slack_app`: the Bolt AsyncApp, built from Settings when asked, never at import."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.metrics import Metrics
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.errors import SlackSetupError
from bot.slack.installation import installation_store, oauth_settings
from bot.slack.listeners import Listeners
from bot.slack.runtime import SlackRuntime


def create_slack_app(settings: Settings, services: Services, metrics: Metrics, runtime: SlackRuntime | None = None) -> AsyncApp:
    """One workspace (SLACK_BOT_TOKEN) or many through OAuth (SLACK_CLIENT_ID + SLACK_CLIENT_SECRET).

    Everything Bolt could read from the environment is passed explicitly: settings
    come only from `Settings`.
    """
    runtime = runtime or SlackRuntime(settings, services, metrics)
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if settings.slack_oauth:
        store = installation_store(settings, services.db)
        app = AsyncApp(
            name="leadbot",
            signing_secret=signing_secret,
            client=build_web_client(settings, metrics),
            installation_store=store,
            oauth_settings=oauth_settings(settings, services.db, store),
        )
    elif settings.slack_bot_token is not None:
        app = AsyncApp(
            name="leadbot",
            signing_secret=signing_secret,
            client=build_web_client(settings, metrics, token=settings.slack_bot_token.get_secret_value()),
        )
    else:
        raise SlackSetupError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for installs to many workspaces")
    Listeners(runtime).register(app)
    return app
