"""Is Slack set up, not set up, or half set up? Decided from Settings alone (no slack_bolt import),
so `serve` can refuse a half-finished set-up by name and `doctor` can say the same."""

from __future__ import annotations

from bot.settings import Settings
from bot.slack.errors import SlackSetupError

ONE = "SLACK_BOT_TOKEN (one workspace)"
MANY = "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (installs to many workspaces)"


def slack_wanted(settings: Settings) -> bool:
    """Any Slack setting at all: the operator meant to run Slack."""
    return any(
        v is not None and v != ""
        for v in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.slack_client_id,
            settings.slack_client_secret,
        )
    )


def check_slack(settings: Settings, socket_mode: bool = False) -> bool:
    """True when Slack is to be served, False when it is not set up at all; SlackSetupError for half a set-up."""
    has_id, has_secret = bool(settings.slack_client_id), settings.slack_client_secret is not None
    if has_id != has_secret:
        given, missing = (
            ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") if has_id else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
        )
        raise SlackSetupError(
            f"Slack is half set up: {given} is set but {missing} is not",
            f"fix: set {missing} too (the app's Basic Information page, App Credentials), or unset {given}",
        )
    has_token = settings.slack_bot_token is not None or settings.slack_oauth
    if socket_mode:
        if not has_token:
            raise SlackSetupError(f"--socket-mode needs a bot token: set {ONE} or {MANY}, and SLACK_APP_TOKEN")
        return True
    if not slack_wanted(settings):
        return False
    if not has_token:
        given = "SLACK_SIGNING_SECRET" if settings.slack_signing_secret is not None else "SLACK_APP_TOKEN"
        raise SlackSetupError(
            f"Slack is half set up: {given} is set but there is no bot token", f"fix: set {ONE} or {MANY}"
        )
    if settings.slack_signing_secret is None:
        raise SlackSetupError(
            "Slack is half set up: SLACK_SIGNING_SECRET is not set, so requests on /slack/events cannot be checked",
            "fix: set SLACK_SIGNING_SECRET (the app's Basic Information page, App Credentials), or run leadbot serve --socket-mode with SLACK_APP_TOKEN",
        )
    return True
