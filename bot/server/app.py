"""`create_app(services)`: one aiohttp application serving every configured platform. The composition root.

Here the process is put together: one turn router for every platform, the
messengers each platform provides once it has started, the nudge scheduler,
and one shutdown budget. Platforms mount themselves (see `_platform_mounts`);
each is a function `mount(app, services, metrics, router, socket_mode)` that
adds its routes and returns a `bot.platform.Mounted`, or None when it is not
configured.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from aiohttp import web

from bot.delivery import Messenger
from bot.logs import request_id
from bot.metrics import SURFACE, Metrics
from bot.nudges.fanout import NudgeSender
from bot.nudges.polls import PollBoard
from bot.nudges.scheduler import NudgeScheduler
from bot.platform import Mounted
from bot.privacy.startup import record_startup
from bot.server.metrics_listener import add_metrics_listener, metrics_handler
from bot.server.pages import add_pages
from bot.server.shutdown import SHUTDOWN, ShutdownBudget
from bot.services import Services
from bot.turns import TurnRouter, turn_gates
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB: no platform sends more; larger bodies get 413
SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
ROUTER = web.AppKey("router", TurnRouter)
PLATFORMS = web.AppKey("platforms", list)  # the names of the platforms this process serves
NUDGE_SCHEDULER = web.AppKey("nudge_scheduler", NudgeScheduler)
SCHEDULER_DRAIN_SECONDS = 5  # at most; told to stop when shutdown begins, it gets what is left of the shared budget

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
    # 16 hex digits from the process's PRNG: an id for tracing, not a secret, and uuid4's
    # os.urandom system call was a measurable share of a busy loop's time per request.
    rid = request.headers.get("X-Request-Id", "")[:64] or f"{random.getrandbits(64):016x}"
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
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "ms": round(elapsed * 1000, 1),
                    "platform": platform,
                    "surface": surface,
                },
            )
        request_id.reset(token)


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving. Says nothing about the database, on purpose."""
    return web.json_response({"status": "ok"})


async def database_answers(app: web.Application) -> bool:
    """Ask the database, within READY_TIMEOUT, and record the answer in leadbot_ready."""
    try:
        await asyncio.wait_for(app[SERVICES].store.ping(), timeout=READY_TIMEOUT)
        ok = True
    except (TimeoutError, StoreUnavailable):
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
                await services.store.purge(services.settings.retention_days, audit_days=services.settings.audit_days)
            except StoreUnavailable:
                pass  # try again next hour; /readyz already says the database is down
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    task = asyncio.create_task(loop())
    yield
    task.cancel()


def _platform_mounts():
    # Imported here, not at the top: a process that only serves health checks need not load the SDKs.
    from bot.slack.mount import mount as slack_mount
    from bot.teams.mount import mount as teams_mount

    return [slack_mount, teams_mount]


def create_app(
    services: Services,
    metrics: Metrics | None = None,
    background: bool = True,
    socket_mode: bool = False,
    metrics_host: str = "0.0.0.0",
) -> web.Application:
    """The whole server. With LEADBOT_METRICS_PORT set, /metrics is served only there (on `metrics_host`)."""
    app = web.Application(middlewares=[observe], client_max_size=MAX_BODY)
    metrics = metrics or Metrics()
    app[SERVICES] = services
    app[METRICS] = metrics
    # Services are built only once the database has answered (and been migrated): ready from the start.
    metrics.ready.set(1)
    app[SHUTDOWN] = budget = ShutdownBudget()
    # Each platform's messenger joins this dict once the platform has started (see wire_messengers).
    messengers: dict[str, Messenger] = {}
    polls = PollBoard(services.content, services.nudge_store, messengers, services.settings.poll_min_votes)
    app[ROUTER] = router = TurnRouter(
        services.conversations, services.nudges, polls, metrics, turn_gates(services.settings)
    )
    app[NUDGE_SCHEDULER] = scheduler = NudgeScheduler(
        NudgeSender(services.nudge_store, services.content, metrics, min_votes=services.settings.poll_min_votes),
        messengers,
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if services.settings.metrics_port is None:
        app.router.add_get("/metrics", metrics_view)
    else:
        add_metrics_listener(app, metrics_host, services.settings.metrics_port, metrics)
    add_pages(app, services.settings, services.content)
    mounted: list[Mounted] = [
        m for mount in _platform_mounts() if (m := mount(app, services, metrics, router, socket_mode))
    ]
    app[PLATFORMS] = [m.name for m in mounted]

    async def wire_messengers(_app: web.Application) -> None:
        # After the platforms' own start-up (their SDK clients exist by then), before the scheduler starts.
        messengers.update({m.name: m.messenger() for m in mounted})

    async def begin_shutdown(_app: web.Application) -> None:
        """Start the shared drain clock; stop the nudge scheduler claiming at once rather than after
        the platforms have drained (it would claim more channels meanwhile); then let every platform
        finish the turns it acknowledged, all within what is left of the one budget."""
        budget.start()
        scheduler.stop_claiming()
        await asyncio.gather(*(m.drain(budget.remaining(m.drain_cap)) for m in mounted))

    async def finish_scheduler(_app: web.Application) -> None:
        await scheduler.finish(budget.remaining(SCHEDULER_DRAIN_SECONDS))

    async def audit_startup(_app: web.Application) -> None:
        # Settings or content changed since the last start? Noted in the audit log (names and fingerprints).
        try:
            await record_startup(services.audit, services.settings, services.content)
        except StoreUnavailable:
            log.warning("audit: settings and content not checked at start-up: database unavailable")

    app.on_startup.append(audit_startup)
    app.on_startup.append(wire_messengers)
    app.on_shutdown.append(begin_shutdown)
    if background:
        app.cleanup_ctx.append(_purge_loop)
        app.cleanup_ctx.append(_readiness_loop)

        async def start_scheduler(_app: web.Application) -> None:
            scheduler.start()

        app.on_startup.append(start_scheduler)
        # Ahead of the cleanup contexts, which close the Slack session the sends under way use.
        app.on_cleanup.insert(0, finish_scheduler)
    return app
