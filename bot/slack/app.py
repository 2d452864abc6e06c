"""`create_slack_app`: the Bolt AsyncApp, built from Settings when asked, never at import."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.errors import SlackSetupError
from bot.slack.installation import InstallationStore, installation_store, oauth_settings
from bot.slack.listeners import Listeners
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


def create_slack_app(runtime: SlackRuntime) -> AsyncApp:
    """One workspace (SLACK_BOT_TOKEN) or many through OAuth (SLACK_CLIENT_ID + SLACK_CLIENT_SECRET).

    Everything Bolt could read from the environment is passed explicitly: settings
    come only from `Settings`.
    """
    settings, services, metrics = runtime.settings, runtime.services, runtime.metrics
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    _quiet_the_unused_token_warning()
    if settings.slack_oauth:
        if settings.slack_bot_token is not None:
            log.warning(
                "SLACK_BOT_TOKEN is ignored: with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, each workspace's token comes from its installation"
            )
        store = installation_store(settings, services.db)
        client = build_web_client(settings, metrics)
        app = AsyncApp(
            name="leadbot",
            signing_secret=signing_secret,
            client=client,
            installation_store=store,
            installation_store_bot_only=True,
            authorize=bot_token_authorize(settings, store, client),
            oauth_settings=oauth_settings(settings, services.db, store),
        )
    elif settings.slack_bot_token is not None:
        app = AsyncApp(
            name="leadbot",
            signing_secret=signing_secret,
            client=build_web_client(settings, metrics, token=settings.slack_bot_token.get_secret_value()),
        )
    else:
        raise SlackSetupError(
            "Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for installs to many workspaces"
        )
    Listeners(runtime).register(app)
    return app


class _TokenInClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and, given a client, warns that `token` "will be unused".
    With one workspace our client carries that very token; with OAuth we say it ourselves, in
    the operator's terms rather than Bolt's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != warning_client_prioritized_and_token_skipped()


def _quiet_the_unused_token_warning() -> None:
    bolt_logger = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _TokenInClient) for f in bolt_logger.filters):
        bolt_logger.addFilter(_TokenInClient())


def bot_token_authorize(
    settings: Settings, store: InstallationStore, client: AsyncWebClient
) -> AsyncInstallationStoreAuthorize:
    """Bolt's own authorize for installations, set up for a bot that has only bot tokens.

    By default Bolt looks up the workspace's installation and then the person's
    own installation (two queries) and calls auth.test, on every request.
    leadbot asks for no user scopes, so the newest bot token for the workspace
    is all it needs (one query: `bot_only`), and what auth.test says about a
    token never changes, so Bolt may remember it per token (`cache_enabled`).
    The token itself is still read from the database on every request, so an
    uninstall or a reinstall on any replica takes effect at once.
    """
    return AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.AsyncApp"),  # where Bolt's own authorize would log
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
