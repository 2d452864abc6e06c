"""/metrics on a port of its own (LEADBOT_METRICS_PORT), so it need not be reachable where Slack and Teams are.

A second aiohttp runner, started with the main application and stopped with it.
A port that cannot be bound stops start-up with a SetupError naming the setting.
"""

from __future__ import annotations

import errno
import socket

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import Metrics
from bot.setup_errors import SetupError

RUNNER = web.AppKey("metrics_runner", web.AppRunner)


def metrics_handler(metrics: Metrics):
    async def metrics_view(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics_view


def add_metrics_listener(app: web.Application, host: str, port: int, metrics: Metrics) -> None:
    async def start(main: web.Application) -> None:
        metrics_app = web.Application()
        metrics_app.router.add_get("/metrics", metrics_handler(metrics))
        runner = web.AppRunner(metrics_app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            raise bind_error("LEADBOT_METRICS_PORT", host, port, exc) from exc
        main[RUNNER] = runner

    async def stop(main: web.Application) -> None:
        runner = main.get(RUNNER)
        if runner is not None:
            await runner.cleanup()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


def bind_error(setting: str, host: str, port: int, exc: OSError) -> SetupError:
    """In plain words, why a port could not be listened on and what to do."""
    if exc.errno == errno.EADDRINUSE:
        why = "the port is already in use (another leadbot, or another program)"
        fix = f"fix: stop what is using port {port}, or choose another with {setting}"
    elif exc.errno == errno.EACCES:
        why = "permission denied (ports below 1024 need extra privileges)"
        fix = f"fix: use a port of 1024 or above with {setting}"
    elif exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        why = f"{host} is not an address of this machine"
        fix = "fix: use --host 0.0.0.0 (every address) or one of this machine's own addresses"
    else:
        why = f"the system said {exc.strerror or type(exc).__name__}"
        fix = f"fix: check --host and {setting}"
    return SetupError(f"cannot listen on {host}:{port}: {why}", fix)
