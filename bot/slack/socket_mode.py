"""Slack over Socket Mode (`leadbot serve --socket-mode`): the same Bolt app, over a WebSocket."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.settings import Settings
from bot.slack.errors import SlackSetupError


def app_token(settings: Settings) -> str:
    """The app-level token, or a SlackSetupError that says what to set."""
    token = settings.slack_app_token.get_secret_value().strip() if settings.slack_app_token else ""
    if not token:
        raise SlackSetupError(
            "--socket-mode needs SLACK_APP_TOKEN: an app-level token (xapp-...) with the connections:write scope, "
            "from your app's Basic Information page"
        )
    if not token.startswith("xapp-"):
        raise SlackSetupError("SLACK_APP_TOKEN must be an app-level token starting xapp- (not a bot token)")
    return token


def build_socket_mode_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    """Bolt's aiohttp Socket Mode handler; needs a running event loop (it opens an HTTP session)."""
    return AsyncSocketModeHandler(app, app_token=app_token(settings), web_client=app.client)
