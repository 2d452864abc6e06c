"""Put Teams on the aiohttp app: POST /api/messages. Called by `bot.server.app.create_app`.

Always mounted: with MICROSOFT_APP_ID the Azure Bot registration authenticates
every request; without it the bot runs unauthenticated for local testing only
(it says so at start-up and answers only requests from and for this machine).
"""

from __future__ import annotations

from aiohttp import web

from bot.metrics import Metrics
from bot.server.keys import NUDGES
from bot.server.shutdown import budget
from bot.services import Services
from bot.teams.adapter import check_settings
from bot.teams.http import MessagesEndpoint
from bot.teams.runtime import DRAIN_SECONDS, TeamsRuntime

TEAMS = web.AppKey("teams", TeamsRuntime)


def mount(app: web.Application, services: Services, metrics: Metrics) -> str | None:
    check_settings(services.settings)  # a broken Microsoft setting stops start-up with its name
    runtime = TeamsRuntime(services, metrics, app[NUDGES])
    app[TEAMS] = runtime

    async def start(_app: web.Application) -> None:
        runtime.start()

    async def drain(_app: web.Application) -> None:
        await runtime.drain(budget(_app).remaining(DRAIN_SECONDS))

    app.on_startup.append(start)
    app.on_shutdown.append(drain)
    app.router.add_post("/api/messages", MessagesEndpoint(runtime).handle)
    return "teams"
