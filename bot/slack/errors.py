"""The one error Slack's set-up raises, importable without loading slack_bolt."""


class SlackSetupError(Exception):
    """Slack is asked for but not configured well enough to run; the message says what to set."""
