"""`leadbot serve`: the aiohttp process for Slack, Teams, health and metrics."""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import os
import socket
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
    p.add_argument(
        "--socket-mode",
        action="store_true",
        help="Slack over Socket Mode (needs SLACK_APP_TOKEN) for networks with no public URL",
    )
    p.set_defaults(run=run)


def settle_long_lived_objects() -> None:
    """Take what start-up built (content, the fitted model, the SDKs) out of the garbage collector's sight.

    They live as long as the process, yet a full collection walks all of them with the event loop
    stopped: 56 to 100 ms each at start-up on a 2-core machine. Full collections are rare once
    serving (none in a 1,000-message paced run), so this is insurance for a process that runs for
    weeks, not a cure for a benchmark. Nothing is reloaded in a running process, so nothing frozen
    here ever becomes garbage.
    """
    gc.collect()
    gc.freeze()


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


def preflight(settings, socket_mode: bool) -> None:
    """Every platform setting checked before the database is even opened: a half set-up Slack or a
    Microsoft setting that cannot work is named at once (SetupError), not after a 30-second database wait."""
    from bot.slack.setup import check_slack
    from bot.teams.adapter import check_settings

    if check_slack(settings, socket_mode):
        if socket_mode:
            from bot.slack.socket_mode import app_token

            app_token(settings)
    elif settings.slack_app_token is not None and not socket_mode:
        log.warning("SLACK_APP_TOKEN is set but not used: it is for leadbot serve --socket-mode")
    check_settings(settings)


def run(args) -> int:
    settings = settings_or_exit()
    setup_logging(settings)
    from aiohttp import web

    from bot.server.app import PLATFORMS, create_app
    from bot.server.metrics_listener import bind_error
    from bot.storage.database_url import location
    from dialogs.store import StoreUnavailable

    preflight(settings, args.socket_mode)
    # Bound before anything else starts: a port in use is said at once, before the database is
    # opened or the nudge scheduler runs, and nothing is half started. It listens (accepts
    # connections) only once the app is ready: until then a probe is refused, not left hanging.
    sock = bound_socket(args.host, args.port)
    platforms: list[str] = []

    async def make_app() -> web.Application:
        services = await _services_with_retry(settings)
        app = create_app(services, socket_mode=args.socket_mode, metrics_host=args.host)
        settle_long_lived_objects()

        async def close(_app) -> None:
            await services.close()

        app.on_cleanup.append(close)
        platforms.extend(app[PLATFORMS])
        return app

    def listening(_banner: str) -> None:
        # aiohttp calls this once every listener is bound: only now can anyone reach us.
        extra = {"host": args.host, "port": args.port, "platforms": ",".join(platforms) or "none"}
        if settings.metrics_port is not None:
            extra["metrics_port"] = settings.metrics_port
        log.info("leadbot serving", extra=extra)

    try:
        web.run_app(make_app(), sock=sock, shutdown_timeout=HANDLERS_SECONDS, access_log=None, print=listening)
    except ContentInvalid as exc:
        report_content_errors(exc)
        return 1
    except StoreUnavailable:
        print(
            f"leadbot: cannot reach the database at DATABASE_URL ({location(settings.database_url)}); waited {DB_WAIT_SECONDS} s",
            file=sys.stderr,
        )
        print(
            "  fix: check that it is running and reachable from here (host, port, firewall), then start leadbot again",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        # Another process took the port between our bind and our listen.
        raise bind_error("--port", args.host, args.port, exc) from exc
    finally:
        sock.close()
    log.info("leadbot stopped")
    _exit_without_waiting_for_threads()
    return 0


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (aiohttp starts listening on it), or a SetupError saying why not
    (in use, no permission, not an address of this machine)."""
    from bot.server.metrics_listener import bind_error

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise bind_error("--port", host, port, exc) from exc
    try:
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
        )  # as aiohttp does: a restart need not wait for TIME_WAIT
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise bind_error("--port", host, port, exc) from exc
    sock.setblocking(False)
    return sock


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
