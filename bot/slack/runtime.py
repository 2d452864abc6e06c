"""What the Slack listeners share: services, metrics, settings store, and the work in flight.

Work runs after the ack, in tasks Bolt starts; `drained()` lets shutdown (and
tests) wait for it to finish instead of guessing how long it takes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.metrics import Metrics
from bot.nudges.service import NudgeService
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import TIMEOUT_SECONDS
from bot.slack.prefs import PrefsStore
from dialogs.models import Inbound, Reply
from dialogs.service import TurnResult

log = logging.getLogger(__name__)
COMMAND_PREFIX = "/leadbot "  # how people address the bot in a channel (manifest.yaml's slash command)


class SlackRuntime:
    def __init__(self, settings: Settings, services: Services, metrics: Metrics, nudges: NudgeService | None = None):
        self.settings = settings
        self.services = services
        self.metrics = metrics
        self.nudges = nudges or NudgeService.from_services(services, metrics)
        self.prefs = PrefsStore(services.db)
        self.session: aiohttp.ClientSession | None = None
        self.socket_mode: Any = None  # the AsyncSocketModeHandler, when serving over Socket Mode
        self.socket_task: asyncio.Task | None = None  # its connecting, in the background
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # --- turns -----------------------------------------------------------

    async def turn(self, inbound: Inbound) -> TurnResult:
        result = await self.services.conversations.handle(inbound)
        self.metrics.record_turn("slack", result.event, result.first_move)
        log.info("turn", extra={"platform": "slack", "surface": inbound.surface, "event": result.event, "replies": len(result.replies)})
        return result

    async def nudge_turn(self, inbound: Inbound, in_channel: bool, message_ref: str | None = None) -> list[Reply] | None:
        """A `nudge ...` command or a poll press gets its replies here (for that person only); None: not ours."""
        replies = await self.nudges.handle(inbound, message_ref, in_channel=in_channel, prefix=COMMAND_PREFIX)
        if replies is not None:
            self.metrics.record_turn("slack", "nudge", None)
            log.info("turn", extra={"platform": "slack", "surface": inbound.surface, "event": "nudge", "replies": len(replies)})
        return replies

    async def show_quotes(self, workspace_id: str, user_id: str) -> bool:
        try:
            return (await self.prefs.load(workspace_id, user_id)).show_quotes
        except Exception:  # noqa: BLE001 - a settings lookup must never cost the manager their answer
            log.warning("settings unavailable; using defaults", exc_info=True)
            return True

    # --- work in flight --------------------------------------------------

    async def begin(self, next) -> None:  # noqa: A002 - Bolt injects listener middleware arguments by name
        """Listener middleware: counted before the ack is sent, so drained() cannot miss the work."""
        self._in_flight += 1
        self._idle.clear()
        await next()

    def _end(self) -> None:
        self._in_flight -= 1
        if self._in_flight <= 0:
            self._in_flight = 0
            self._idle.set()

    def tracked(self, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """Wrap a listener so that its end is counted; Bolt still sees fn's argument names."""

        @functools.wraps(fn)
        async def listener(**kwargs: Any) -> Any:
            try:
                return await fn(**kwargs)
            finally:
                self._end()

        return listener

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def drained(self) -> None:
        await self._idle.wait()

    # --- lifecycle -------------------------------------------------------

    def open_session(self) -> aiohttp.ClientSession:
        """One pooled HTTP session for every Web API call (slack_sdk opens one per call otherwise)."""
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        return self.session

    async def close_session(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
