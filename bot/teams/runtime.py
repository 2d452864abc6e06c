"""Everything the Teams endpoint needs, built once at start-up (never at import)."""

from __future__ import annotations

import functools
import logging

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult

from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.services import Services
from bot.teams.adapter import ChannelEndpoints, authentication_disabled, build_adapter
from bot.teams.bot import LeadbotTeamsBot
from bot.teams.inbound import Arrival
from bot.teams.installs import TeamsInstalls
from bot.teams.messenger import TeamsMessenger
from bot.teams.private import PrivateChats
from bot.teams.references import ReferenceStore
from bot.teams.turns import TeamsTurns
from bot.turns import TurnRouter

log = logging.getLogger(__name__)

DRAIN_SECONDS = 8  # on shutdown, turns already acknowledged get at most this long (within the shared budget) to finish

UNAUTHENTICATED_WARNING = (
    "MICROSOFT_APP_ID is not set: Teams requests on /api/messages are NOT AUTHENTICATED. "
    "This mode is for local testing only (Bot Framework Emulator): the bot answers only requests from this machine "
    "for service URLs on this machine. Set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TYPE and "
    "MICROSOFT_APP_TENANT_ID before connecting Teams."
)


class TeamsRuntime:
    def __init__(self, services: Services, metrics: Metrics, router: TurnRouter):
        self.services = services
        self.metrics = metrics
        self.router = router
        self.inflight = InFlight("teams", services.settings.max_turns_in_flight)
        # A cloud other than Microsoft's public one (a private cloud, or a test double); set before start-up.
        self.endpoints: ChannelEndpoints | None = None
        self.adapter: CloudAdapter | None = None
        self.bot: LeadbotTeamsBot | None = None
        self.messenger: TeamsMessenger | None = None
        self.turns: TeamsTurns | None = None
        self.local_only = authentication_disabled(services.settings)

    def start(self) -> None:
        settings = self.services.settings
        self.adapter = build_adapter(settings, self.metrics, self.endpoints)
        self.adapter.on_turn_error = self._turn_failed
        references = ReferenceStore(self.services.db)
        self.messenger = TeamsMessenger(self.adapter, settings.microsoft_app_id, references, self.metrics)
        turns = self.turns = TeamsTurns(self.router, self.metrics, references)
        installs = TeamsInstalls(self.services, self.metrics, references, turns)
        private = PrivateChats(
            self.services, self.router, self.adapter, settings.microsoft_app_id, references, self.messenger, turns
        )
        self.bot = LeadbotTeamsBot(turns, installs, private)
        if self.local_only:
            log.warning(UNAUTHENTICATED_WARNING)
        else:
            log.info(
                "teams ready",
                extra={"app_type": settings.microsoft_app_type, "cloud": "custom" if self.endpoints else "public"},
            )

    async def _turn_failed(self, context: TurnContext, error: Exception) -> None:
        # The type and where, never the message: exceptions can quote what was sent.
        log.error(
            "teams turn failed",
            exc_info=(type(error), error, error.__traceback__),
            extra={"activity_type": context.activity.type},
        )

    async def process(self, auth: AuthenticateRequestResult, activity: Activity, arrival: Arrival):
        """Run the SDK's turn for an authenticated activity, with what we read from it on the way in."""
        assert self.adapter is not None and self.bot is not None
        return await self.adapter.process_activity(auth, activity, functools.partial(self.bot.run, arrival))

    async def busy(self, auth: AuthenticateRequestResult, activity: Activity, arrival: Arrival) -> None:
        """A message not admitted (LEADBOT_MAX_TURNS_IN_FLIGHT reached, or shutting down): say so at once, in its chat."""
        assert self.adapter is not None and self.turns is not None
        if arrival.place is None or arrival.inbound is None:
            return
        said = (
            arrival.inbound
        )  # its words and the Activity's locale say the language; nothing is read from the database
        reply = self.router.busy("teams", arrival.surface, said.text, said.locale)
        turns = self.turns

        async def say(context: TurnContext) -> None:
            await turns.reply(context, [reply], compact=False)

        await self.adapter.process_activity(auth, activity, say)
