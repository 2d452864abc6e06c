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
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.logs import request_id
from bot.server.keys import NUDGES, PLATFORMS, SOCKET_MODE, SURFACE
from bot.metrics import Metrics
from bot.nudges.scheduler import NUDGE_SCHEDULER, install_scheduler
from bot.nudges.service import NudgeService
from bot.server.shutdown import SHUTDOWN, ShutdownBudget
from bot.services import Services
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB: no platform sends more; larger bodies get 413
SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)

PURGE_EVERY_SECONDS = 3600

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


async def readyz(request: web.Request) -> web.Response:
    """Ready to take traffic: the database answers."""
    services = request.app[SERVICES]
    metrics = request.app[METRICS]
    try:
        await asyncio.wait_for(services.store.ping(), timeout=2)
    except (StoreUnavailable, asyncio.TimeoutError):
        metrics.ready.set(0)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    metrics.ready.set(1)
    return web.json_response({"status": "ready", "database": "ok", "platforms": request.app[PLATFORMS]})


async def metrics_view(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


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


def create_app(services: Services, metrics: Metrics | None = None, background: bool = True, socket_mode: bool = False) -> web.Application:
    app = web.Application(middlewares=[observe], client_max_size=MAX_BODY)
    app[SERVICES] = services
    app[METRICS] = metrics or Metrics()
    app[SOCKET_MODE] = socket_mode
    app[NUDGES] = NudgeService.from_services(services, app[METRICS], messengers={})
    app[SHUTDOWN] = ShutdownBudget()
    app.on_shutdown.append(_begin_shutdown)  # before any platform's own shutdown hook
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    app[PLATFORMS] = [name for mount in _platform_mounts() if (name := mount(app, services, app[METRICS]))]
    if background:
        app.cleanup_ctx.append(_purge_loop)
        install_scheduler(app, app[NUDGES])  # after the platforms: it starts once their messengers are there
    return app
