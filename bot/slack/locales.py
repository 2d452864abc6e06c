"""A person's Slack locale ("cy-GB", "en-US"), from `users.info` with `include_locale`, cached.

Slack sends no locale with messages, so the first message from someone costs one
`users.info` call; the answer is kept in memory for an hour (never stored). A failure
(no `users:read` scope, Slack down, a slow answer) means "no locale": the language is
then chosen without it (see dialogs.language), and the call is not retried for a while.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

KEEP_SECONDS = 3600.0  # a person rarely changes their Slack language; an hour's staleness is harmless
KEEP_FAILED_SECONDS = 300.0
TIMEOUT_SECONDS = 2.0  # a first reply should not wait long for this
MAX_PEOPLE = 50_000


class SlackLocales:
    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[str | None, float]] = {}

    def remembered(self, workspace_id: str, user_id: str) -> str | None:
        """The locale if already known, without asking Slack (for an answer that must not wait)."""
        cached = self._known.get((workspace_id, user_id))
        return cached[0] if cached is not None and cached[1] > time.monotonic() else None

    async def locale(self, client: AsyncWebClient, workspace_id: str, user_id: str) -> str | None:
        key = (workspace_id, user_id)
        now = time.monotonic()
        cached = self._known.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        locale, keep = None, KEEP_FAILED_SECONDS
        try:
            answer = await asyncio.wait_for(client.users_info(user=user_id, include_locale=True), TIMEOUT_SECONDS)
            user = answer.get("user") if answer.get("ok") else None
            found = user.get("locale") if isinstance(user, dict) else None
            locale, keep = (found[:32] if isinstance(found, str) else None), KEEP_SECONDS
        except Exception as exc:  # missing scope, Slack down, time-out: carry on without a locale
            log.info("slack locale unavailable", extra={"platform": "slack", "error": type(exc).__name__})
        if len(self._known) >= MAX_PEOPLE:
            self._known.clear()  # crude, but bounded: the next messages fill it again
        self._known[key] = (locale, now + keep)
        return locale
