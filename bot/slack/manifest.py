"""The Slack app manifest shipped with leadbot (`manifest.yaml`): one source for scopes and events."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    return yaml.safe_load(files("bot.slack").joinpath("manifest.yaml").read_text(encoding="utf-8"))


def bot_scopes() -> list[str]:
    """What the OAuth install asks for: exactly the manifest's bot scopes."""
    return list(manifest()["oauth_config"]["scopes"]["bot"])


def bot_events() -> list[str]:
    return list(manifest()["settings"]["event_subscriptions"]["bot_events"])
