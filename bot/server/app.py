"""`create_app(services)`: one aiohttp application serving every configured platform.

Platforms mount themselves (see `_platform_mounts`); each is a function
`mount(app, services, metrics) -> str | None` that adds its routes and returns
its name, or None when it is not configured.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from aiohttp import web

from bot.logs import request_id
from bot.server.keys import NUDGES, PLATFORMS, SOCKET_MODE, SURFACE
from bot.metrics import Metrics
from bot.nudges.scheduler import NUDGE_SCHEDULER, install_scheduler
from bot.nudges.service import NudgeService
from bot.server.metrics_listener import add_metrics_listener, metrics_handler
from bot.server.pages import add_pages
from bot.server.shutdown import SHUTDOWN, ShutdownBudget
from bot.services import Services
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB: no platform sends more; larger bodies get 413
SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)

PURGE_EVERY_SECONDS = 3600
READY_TIMEOUT = 2  # seconds the database has to answer a readiness check
READY_EVERY_SECONDS = 10  # how often leadbot_ready is refreshed without /readyz

# (path prefix, platform, surface) for metrics labels; platforms may refine the surface on the request.
ROUTE_LABELS = [("/slack/", "slack"), ("/api/messages", "teams")]


def _labels(request: web.Request) -> tuple[str, str]:
    # Never the path itself for anything else: a stray request's path is whatever the sender chose (a user id,
    # a message), and every distinct one would be a new time series.
    platform = next((name for prefix, name in ROUTE_LABELS if request.path.startswith(prefix)), "none")
    return platform, request.get(SURFACE, "other")


@web.middleware
async def observe(request: web.Request, handler):
    """A request id for every line logged while handling; one log line and metrics per request."""
    rid = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]
    token = request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = rid
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except Exception:
        log.exception("request failed", extra={"path": request.path})
        return web.json_response({"error": "internal error"}, status=500)
    finally:
        elapsed = time.perf_counter() - started
        platform, surface = _labels(request)
        metrics: Metrics = request.app[METRICS]
        if request.path not in ("/metrics", "/healthz", "/readyz"):
            metrics.requests.labels(platform, surface, f"{status // 100}xx").inc()
            metrics.latency.labels(platform, surface).observe(elapsed)
            log.info("request", extra={"method": request.method, "path": request.path, "status": status, "ms": round(elapsed * 1000, 1), "platform": platform, "surface": surface})
        request_id.reset(token)


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving. Says nothing about the database, on purpose."""
    return web.json_response({"status": "ok"})


async def database_answers(app: web.Application) -> bool:
    """Ask the database, within READY_TIMEOUT, and record the answer in leadbot_ready."""
    try:
        await asyncio.wait_for(app[SERVICES].store.ping(), timeout=READY_TIMEOUT)
        ok = True
    except (StoreUnavailable, asyncio.TimeoutError):
        ok = False
    app[METRICS].ready.set(1 if ok else 0)
    return ok


async def readyz(request: web.Request) -> web.Response:
    """Ready to take traffic: the database answers."""
    if not await database_answers(request.app):
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ready", "database": "ok", "platforms": request.app[PLATFORMS]})


async def _readiness_loop(app: web.Application):
    """Keep leadbot_ready current whether or not anything calls /readyz (an alert on it must not
    depend on a load balancer's probe reaching this replica)."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(READY_EVERY_SECONDS)
            await database_answers(app)

    task = asyncio.create_task(loop())
    yield
    task.cancel()


async def metrics_view(request: web.Request) -> web.Response:
    return await metrics_handler(request.app[METRICS])(request)


async def _purge_loop(app: web.Application):
    services = app[SERVICES]

    async def loop() -> None:
        while True:
            try:
                await services.store.purge(services.settings.retention_days)
            except StoreUnavailable:
                pass  # try again next hour; /readyz already says the database is down
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    task = asyncio.create_task(loop())
    yield
    task.cancel()


async def _begin_shutdown(app: web.Application) -> None:
    """The first shutdown hook: start the shared drain clock, and stop the nudge scheduler claiming
    at once rather than after the platforms have drained (it would claim more channels meanwhile)."""
    app[SHUTDOWN].start()
    scheduler = app.get(NUDGE_SCHEDULER)
    if scheduler is not None:
        scheduler["stop"].set()


def _platform_mounts():
    # Imported here, not at the top: a process that only serves health checks need not load the SDKs.
    from bot.slack.mount import mount as slack_mount
    from bot.teams.mount import mount as teams_mount

    return [slack_mount, teams_mount]


def create_app(
    services: Services, metrics: Metrics | None = None, background: bool = True, socket_mode: bool = False, metrics_host: str = "0.0.0.0"
) -> web.Application:
    """The whole server. With LEADBOT_METRICS_PORT set, /metrics is served only there (on `metrics_host`)."""
    app = web.Application(middlewares=[observe], client_max_size=MAX_BODY)
    app[SERVICES] = services
    app[METRICS] = metrics or Metrics()
    # Services are built only once the database has answered (and been migrated): ready from the start.
    app[METRICS].ready.set(1)
    app[SOCKET_MODE] = socket_mode
    app[NUDGES] = NudgeService.from_services(services, app[METRICS], messengers={})
    app[SHUTDOWN] = ShutdownBudget()
    app.on_shutdown.append(_begin_shutdown)  # before any platform's own shutdown hook
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if services.settings.metrics_port is None:
        app.router.add_get("/metrics", metrics_view)
    else:
        add_metrics_listener(app, metrics_host, services.settings.metrics_port, app[METRICS])
    add_pages(app, services.settings, services.content)
    app[PLATFORMS] = [name for mount in _platform_mounts() if (name := mount(app, services, app[METRICS]))]
    if background:
        app.cleanup_ctx.append(_purge_loop)
        app.cleanup_ctx.append(_readiness_loop)
        install_scheduler(app, app[NUDGES])  # after the platforms: it starts once their messengers are there
    return app
