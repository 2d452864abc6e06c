"""What the Slack listeners share: the turn router, settings, the manager's preferences, and the work in flight.

Listeners run after the ack, in tasks Bolt starts; `inflight` counts each one
from before its ack until it has sent its replies, so shutdown (and tests) can
wait for it instead of guessing how long it takes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import TIMEOUT_SECONDS
from bot.slack.locales import SlackLocales
from bot.slack.prefs import PrefsStore
from bot.turns import TurnRouter

log = logging.getLogger(__name__)

ADMITTED = "leadbot_admitted"  # on Bolt's context: this request's turn was admitted by InFlight


class SlackRuntime:
    def __init__(self, settings: Settings, services: Services, metrics: Metrics, router: TurnRouter):
        self.settings = settings
        self.services = services
        self.metrics = metrics
        self.router = router
        self.prefs = PrefsStore(services.db)
        self.locales = SlackLocales()
        self.inflight = InFlight("slack", settings.max_turns_in_flight)
        self.session: aiohttp.ClientSession | None = None
        self.socket_mode: Any = None  # the AsyncSocketModeHandler, when serving over Socket Mode
        self.socket_task: asyncio.Task | None = None  # its connecting, in the background

    async def show_quotes(self, workspace_id: str, user_id: str) -> bool:
        try:
            return (await self.prefs.load(workspace_id, user_id)).show_quotes
        except Exception:
            log.warning("settings unavailable; using defaults", exc_info=True)
            return True

    # --- work in flight --------------------------------------------------

    async def begin(self, context, next) -> None:
        """Listener middleware, before the ack is sent: a turn is admitted (and counted, so a drain
        cannot miss it) or, past LEADBOT_MAX_TURNS_IN_FLIGHT or at shutdown, marked to be told "busy"."""
        if self.inflight.admit():
            context[ADMITTED] = True
        else:
            self.inflight.begin()  # the "busy" answer is work too, drained like a turn
        await next()

    async def begin_always(self, next) -> None:
        """Listener middleware for work that is never refused (uninstalls): counted, not bounded."""
        self.inflight.begin()
        await next()

    def tracked(
        self, fn: Callable[..., Awaitable[Any]], busy: Callable[..., Awaitable[Any]] | None = None
    ) -> Callable[..., Awaitable[Any]]:
        """Wrap a listener so that its end is counted; Bolt still sees fn's argument names.

        With `busy`, fn's arguments must include `context`: a turn `begin` did not admit runs
        `busy(**the same arguments)` instead of fn.
        """

        @functools.wraps(fn)
        async def listener(**kwargs: Any) -> Any:
            admitted = busy is None or bool(kwargs["context"].get(ADMITTED))
            try:
                return await (fn if admitted else busy)(**kwargs)
            finally:
                self.inflight.end(turn=admitted and busy is not None)

        return listener

    # --- lifecycle -------------------------------------------------------

    def open_session(self) -> aiohttp.ClientSession:
        """One pooled HTTP session for every Web API call (slack_sdk opens one per call otherwise)."""
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        return self.session

    async def close_session(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
