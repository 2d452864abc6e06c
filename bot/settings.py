"""Every setting leadbot reads, from the environment or a `.env` file.

Nothing else in the code reads `os.environ`; build a `Settings` and pass it on.
Secrets are `SecretStr` so that they never appear in a repr or a log line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="sqlite+aiosqlite:///./leadbot.db", validation_alias="DATABASE_URL")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")

    microsoft_app_id: str | None = Field(default=None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(default=None, validation_alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", validation_alias="MICROSOFT_APP_TYPE"
    )
    microsoft_app_tenant_id: str | None = Field(default=None, validation_alias="MICROSOFT_APP_TENANT_ID")

    content_dir: Path | None = Field(default=None, validation_alias="LEADBOT_CONTENT_DIR")
    timezone: str = Field(default="Europe/London", validation_alias="LEADBOT_TIMEZONE")
    # The language for people whose platform says nothing about theirs, and for new channels' nudges:
    # "en" or "cy". A person's own choice ("Cymraeg" / "English") and their platform's locale come first.
    language: Literal["en", "cy"] = Field(default="en", validation_alias="LEADBOT_LANGUAGE")
    retention_days: int = Field(default=30, ge=1, le=3650, validation_alias="LEADBOT_RETENTION_DAYS")
    log_level: str = Field(default="INFO", validation_alias="LEADBOT_LOG_LEVEL")
    # Turns one process works on at once, per platform; past it a person is told to try again in a minute
    # (see README, "Capacity"). About 10 ms of database time each: 64 queue for well under a second.
    max_turns_in_flight: int = Field(default=64, ge=1, le=10000, validation_alias="LEADBOT_MAX_TURNS_IN_FLIGHT")
    # Where the fitted diagnosis model is cached between starts (it is refitted when content changes).
    cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "leadbot", validation_alias="LEADBOT_CACHE_DIR"
    )
    # Below this confidence the bot asks the quick test rather than guess.
    ask_below: float = Field(default=0.85, ge=0.0, le=1.0, validation_alias="LEADBOT_ASK_BELOW")
    # Serve /metrics on this port only (not on the public one), for a scraper on a private network.
    metrics_port: int | None = Field(default=None, ge=1, le=65535, validation_alias="LEADBOT_METRICS_PORT")
    # Your organisation's own privacy notice and terms of use: /privacy and /terms redirect there,
    # and the Teams app package links to them. Unset, leadbot serves pages made from content/pages.yaml.
    privacy_url: str | None = Field(default=None, validation_alias="LEADBOT_PRIVACY_URL")
    terms_url: str | None = Field(default=None, validation_alias="LEADBOT_TERMS_URL")
    # A poll shows its counts only once this many people have voted, so nobody's vote can be read off a
    # count of one or two. Below 2 a count would name a voter's choice, so 2 is the least allowed.
    poll_min_votes: int = Field(default=3, ge=2, le=50, validation_alias="LEADBOT_POLL_MIN_VOTES")
    # How long the audit log (who changed what, when; counts of forget-me, retention and escalations) is kept.
    audit_days: int = Field(default=365, ge=30, le=3650, validation_alias="LEADBOT_AUDIT_DAYS")

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, v: str) -> str:
        from bot.storage.database_url import check

        return check(v)

    @field_validator("privacy_url", "terms_url")
    @classmethod
    def _https_page(cls, v: str | None) -> str | None:
        from urllib.parse import urlparse

        if not v:
            return None
        if urlparse(v).scheme != "https" or not urlparse(v).hostname:
            raise ValueError("must be an https:// address, e.g. https://intranet.example.gov.uk/leadbot/privacy")
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, v: str) -> str:
        # slack_sdk joins base_url and method name by plain concatenation
        return v if v.endswith("/") else v + "/"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {v!r}") from exc
        return v

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {v!r}")
        return v

    @field_validator("microsoft_app_type", mode="before")
    @classmethod
    def _app_type_any_case(cls, v: object) -> object:
        if isinstance(v, str):
            for known in ("MultiTenant", "SingleTenant", "UserAssignedMSI"):
                if v.lower() == known.lower():
                    return known
        return v

    @property
    def slack_configured(self) -> bool:
        single = self.slack_bot_token is not None and self.slack_signing_secret is not None
        oauth = (
            bool(self.slack_client_id)
            and self.slack_client_secret is not None
            and self.slack_signing_secret is not None
        )
        return single or oauth

    @property
    def slack_oauth(self) -> bool:
        return bool(self.slack_client_id) and self.slack_client_secret is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
