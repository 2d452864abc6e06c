"""Everything the Teams endpoint needs, built once at start-up from Services (never at import)."""

from __future__ import annotations

import asyncio
import logging

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter

from bot.metrics import Metrics
from bot.nudges.service import NudgeService
from bot.services import Services
from bot.teams.adapter import ChannelEndpoints, authentication_disabled, build_adapter
from bot.teams.bot import LeadbotTeamsBot
from bot.teams.installs import TeamsInstalls
from bot.teams.messenger import TeamsMessenger
from bot.teams.private import PrivateChats
from bot.teams.references import ReferenceStore
from bot.teams.turns import TeamsTurns

log = logging.getLogger(__name__)

DRAIN_SECONDS = 8  # on shutdown, turns already acknowledged get at most this long (within the shared budget) to finish

UNAUTHENTICATED_WARNING = (
    "MICROSOFT_APP_ID is not set: Teams requests on /api/messages are NOT AUTHENTICATED. "
    "This mode is for local testing only (Bot Framework Emulator): the bot answers only requests from this machine for service URLs on this machine. "
    "Set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TYPE and MICROSOFT_APP_TENANT_ID before connecting Teams."
)


class TeamsRuntime:
    def __init__(self, services: Services, metrics: Metrics, nudges: NudgeService | None = None):
        self.services = services
        self.metrics = metrics
        self.nudges = nudges or NudgeService.from_services(services, metrics)
        # A cloud other than Microsoft's public one (a private cloud, or a test double); set before start-up.
        self.endpoints: ChannelEndpoints | None = None
        self.adapter: CloudAdapter | None = None
        self.bot: LeadbotTeamsBot | None = None
        self.messenger: TeamsMessenger | None = None
        self.local_only = authentication_disabled(services.settings)
        self._tasks: set[asyncio.Task] = set()

    def start(self) -> None:
        settings = self.services.settings
        self.adapter = build_adapter(settings, self.metrics, self.endpoints)
        self.adapter.on_turn_error = self._turn_failed
        references = ReferenceStore(self.services.db)
        self.messenger = TeamsMessenger(self.adapter, settings.microsoft_app_id, references, self.metrics)
        self.nudges.messengers["teams"] = self.messenger  # weekly nudges and poll counts
        turns = TeamsTurns(self.services, self.metrics, references, self.nudges)
        installs = TeamsInstalls(self.services, self.metrics, references, turns)
        private = PrivateChats(self.services, self.metrics, self.adapter, settings.microsoft_app_id, references, self.messenger, turns)
        self.bot = LeadbotTeamsBot(turns, installs, private)
        if self.local_only:
            log.warning(UNAUTHENTICATED_WARNING)
        else:
            log.info("teams ready", extra={"app_type": settings.microsoft_app_type, "cloud": "custom" if self.endpoints else "public"})

    async def _turn_failed(self, context: TurnContext, error: Exception) -> None:
        # The type and where, never the message: exceptions can quote what was sent.
        log.error("teams turn failed", exc_info=(type(error), error, error.__traceback__), extra={"activity_type": context.activity.type})

    def spawn(self, work) -> None:
        """Run an acknowledged turn after the HTTP response has gone."""
        task = asyncio.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work) -> None:
        try:
            await work
        except Exception as exc:  # noqa: BLE001 - a background turn must never take the process down
            log.error("teams turn failed before it started", exc_info=(type(exc), exc, exc.__traceback__))

    async def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            if pending:
                log.warning("shutting down with teams turns still running", extra={"in_flight": len(pending)})
