"""`leadbot serve`: the aiohttp process for Slack, Teams, health and metrics."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading

from bot.cli.common import report_content_errors, settings_or_exit, setup_logging
from bot.server.shutdown import DRAIN_SECONDS
from dialogs.content_loader import ContentInvalid

log = logging.getLogger("bot.serve")
DB_WAIT_SECONDS = 30  # a database that starts a little after us is normal in compose files
SHUTDOWN_SECONDS = 8  # SIGTERM to exit, at most: well inside the usual 10 s grace period
# Of that, the platforms' in-flight turns and the nudge scheduler share DRAIN_SECONDS (bot.server.shutdown);
# then HTTP requests still open get what is left before their connections are closed.
HANDLERS_SECONDS = SHUTDOWN_SECONDS - DRAIN_SECONDS


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve Slack (/slack/events) and Teams (/api/messages) over HTTP")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=3978, help="port to listen on (default 3978)")
    p.add_argument("--socket-mode", action="store_true", help="Slack over Socket Mode (needs SLACK_APP_TOKEN) for networks with no public URL")
    p.set_defaults(run=run)


async def _services_with_retry(settings):
    from bot.services import build_services
    from dialogs.store import StoreUnavailable

    loop = asyncio.get_running_loop()
    deadline = loop.time() + DB_WAIT_SECONDS
    while True:
        try:
            return await build_services(settings)
        except StoreUnavailable:
            if loop.time() > deadline:
                raise
            log.warning("database not reachable yet; retrying")
            await asyncio.sleep(2)


def run(args) -> int:
    settings = settings_or_exit()
    setup_logging(settings)
    from aiohttp import web

    from bot.server.app import PLATFORMS, create_app
    from bot.slack.errors import SlackSetupError
    from dialogs.store import StoreUnavailable

    async def make_app() -> web.Application:
        services = await _services_with_retry(settings)
        app = create_app(services, socket_mode=args.socket_mode)

        async def close(_app) -> None:
            await services.close()

        app.on_cleanup.append(close)
        log.info("leadbot serving", extra={"port": args.port, "platforms": ",".join(app[PLATFORMS]) or "none"})
        return app

    try:
        web.run_app(make_app(), host=args.host, port=args.port, shutdown_timeout=HANDLERS_SECONDS, access_log=None, print=None)
    except ContentInvalid as exc:
        report_content_errors(exc)
        return 1
    except StoreUnavailable:
        print("leadbot: cannot reach the database at DATABASE_URL", file=sys.stderr)
        return 1
    except SlackSetupError as exc:
        # --socket-mode without SLACK_APP_TOKEN, and the like: say what to set, not a traceback
        print(f"leadbot: {exc}", file=sys.stderr)
        return 2
    log.info("leadbot stopped")
    _exit_without_waiting_for_threads()
    return 0


def _exit_without_waiting_for_threads() -> None:
    """Leave now if worker threads are still running after a clean shutdown.

    Everything of ours is closed by now (sessions, the database) and logged. What can
    still be running is a thread blocked in a platform call that was abandoned at the
    drain deadline: the Bot Framework SDK sends through `requests` in the default
    executor, and the interpreter joins those threads at exit, which would keep the
    process alive for the rest of the connector's timeout (20 s), past the grace period.
    """
    busy = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if not busy:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
