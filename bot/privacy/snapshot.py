"""The running configuration as it may be written down: every setting by its environment name,
secrets only as "set" / "not set", the database as its kind and host without credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.settings import Settings
from bot.storage.database_url import location

LEFT_OUT = {"cache_dir"}  # where the fitted model is cached: a file path of this machine, nothing about people


def database_kind(settings: Settings) -> str:
    return "SQLite" if settings.is_sqlite else "PostgreSQL"


def settings_snapshot(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        if name in LEFT_OUT:
            continue
        env = str(field.validation_alias or name).upper()
        value = getattr(settings, name)
        if name == "database_url":
            value = f"{database_kind(settings)} at {location(value)}"
        elif isinstance(value, SecretStr) or (
            value is None and field.annotation is not None and "SecretStr" in str(field.annotation)
        ):
            value = "set" if value is not None else "not set"
        elif isinstance(value, Path):
            value = str(value)
        out[env] = value
    return out


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
