"""The one error Slack's set-up raises, importable without loading slack_bolt."""

from bot.setup_errors import SetupError


class SlackSetupError(SetupError):
    """Slack is asked for but not configured well enough to run; the message says what to set."""
