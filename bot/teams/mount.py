"""Put Teams on the aiohttp app: POST /api/messages. Called by `bot.server.app.create_app`.

Always mounted: with MICROSOFT_APP_ID the Azure Bot registration authenticates
every request; without it the bot runs unauthenticated for local testing only
(it says so at start-up and answers only requests from and for this machine).
"""

from __future__ import annotations

from aiohttp import web

from bot.metrics import Metrics
from bot.platform import Mounted
from bot.services import Services
from bot.teams.adapter import check_settings
from bot.teams.http import MessagesEndpoint
from bot.teams.messenger import TeamsMessenger
from bot.teams.runtime import DRAIN_SECONDS, TeamsRuntime
from bot.turns import TurnRouter

TEAMS = web.AppKey("teams", TeamsRuntime)


def mount(
    app: web.Application, services: Services, metrics: Metrics, router: TurnRouter, socket_mode: bool = False
) -> Mounted:
    check_settings(services.settings)  # a broken Microsoft setting stops start-up with its name
    runtime = TeamsRuntime(services, metrics, router)
    app[TEAMS] = runtime

    async def start(_app: web.Application) -> None:
        runtime.start()

    def messenger() -> TeamsMessenger:
        assert runtime.messenger is not None, "built when the app starts"
        return runtime.messenger

    app.on_startup.append(start)
    app.router.add_post("/api/messages", MessagesEndpoint(runtime).handle)
    return Mounted("teams", runtime.inflight, messenger, runtime.inflight.drain, DRAIN_SECONDS)
