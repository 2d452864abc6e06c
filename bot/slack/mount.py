"""Mount Slack on leadbot's aiohttp app: POST /slack/events, the OAuth pages, Socket Mode.

Bolt checks every signature (401 for a bad one or a stale timestamp); this
module only turns Slack's HTTP into Bolt requests with slack_bolt's own aiohttp
adapter helpers, and keeps malformed bodies from ever becoming a 500.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.metrics import Metrics
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_slack_app
from bot.slack.errors import SlackSetupError
from bot.slack.runtime import SlackRuntime
from bot.slack.socket_mode import app_token, build_socket_mode_handler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DRAIN_SECONDS = 5  # on shutdown, turns already acknowledged get this long to send their replies

SLACK = web.AppKey("slack", SlackRuntime)
BOLT = web.AppKey("slack_bolt", AsyncApp)

SURFACES = {"message": "dm", "app_mention": "mention", "app_home_opened": "home"}


def configured(settings: Settings, socket_mode: bool) -> bool:
    if settings.slack_configured:
        return True
    # Socket Mode needs no signing secret: Slack's requests arrive over our own WebSocket.
    return socket_mode and (settings.slack_bot_token is not None or settings.slack_oauth)


def mount(app: web.Application, services: Services, metrics: Metrics) -> str | None:
    settings = services.settings
    socket_mode = bool(app.get("socket_mode", False))
    if not configured(settings, socket_mode):
        if socket_mode:
            raise SlackSetupError("--socket-mode needs SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) and SLACK_APP_TOKEN")
        if settings.slack_bot_token is not None or settings.slack_oauth:
            log.warning("Slack is not served: SLACK_SIGNING_SECRET is not set (or use --socket-mode)")
        return None
    if socket_mode:
        app_token(settings)  # fail now, before serving, if the app-level token is missing
    runtime = SlackRuntime(settings, services, metrics)
    bolt = create_slack_app(settings, services, metrics, runtime)
    app[SLACK] = runtime
    app[BOLT] = bolt

    if settings.slack_signing_secret is not None:
        # Without a signing secret nothing could be verified: no HTTP route at all then.
        app.router.add_post(EVENTS_PATH, _events_handler(bolt))
        if bolt.oauth_flow is not None:
            flow = bolt.oauth_flow
            app.router.add_get(flow.install_path, _oauth_handler(flow.handle_installation))
            app.router.add_get(flow.redirect_uri_path, _oauth_handler(flow.handle_callback))

    async def lifecycle(_app: web.Application):
        bolt.client.session = runtime.open_session()
        if socket_mode:
            try:
                await _start_socket_mode(runtime, bolt, settings)
            except BaseException:
                await runtime.close_session()
                raise
        yield
        await _close_socket_mode(runtime)
        await runtime.close_session()

    async def drain(_app: web.Application) -> None:
        await _close_socket_mode(runtime)  # take no new work, then let the acknowledged turns finish
        try:
            await asyncio.wait_for(runtime.drained(), DRAIN_SECONDS)
        except asyncio.TimeoutError:
            log.warning("shutting down with slack turns still running", extra={"in_flight": runtime.in_flight})

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(drain)
    return "slack"


async def _start_socket_mode(runtime: SlackRuntime, bolt: AsyncApp, settings: Settings) -> None:
    """Check the app token once (a refused token stops start-up with a clear message), then connect
    in the background: slack_sdk's client keeps retrying while Slack is unreachable, and
    /healthz, /readyz and /metrics are served meanwhile."""
    handler = runtime.socket_mode = build_socket_mode_handler(bolt, settings)
    try:
        opened = await bolt.client.apps_connections_open(app_token=handler.app_token)
    except SlackApiError as exc:
        await handler.close_async()
        raise SlackSetupError(f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): check the app-level token") from None
    except Exception:  # noqa: BLE001 - Slack unreachable for now: the client's own retries take over
        log.warning("cannot reach Slack yet; Socket Mode keeps trying")
    else:
        handler.client.wss_uri = opened["url"]  # the URL just issued, so connecting does not ask again
    runtime.socket_task = asyncio.create_task(handler.connect_async())


async def _close_socket_mode(runtime: SlackRuntime) -> None:
    handler, runtime.socket_mode = runtime.socket_mode, None
    task, runtime.socket_task = runtime.socket_task, None
    if task is not None and not task.done():
        task.cancel()
    if handler is not None:
        await handler.close_async()


def _shape_ok(body: Any) -> bool:
    """Enough shape for Bolt's matchers not to trip: anything less is a malformed request."""
    if not isinstance(body, dict):
        return False
    if "event" in body and not (isinstance(body["event"], dict) and isinstance(body["event"].get("type"), str)):
        return False
    if "actions" in body and not (isinstance(body["actions"], list) and all(isinstance(a, dict) for a in body["actions"])):
        return False
    for name in ("user", "team", "channel", "container", "message", "view", "enterprise"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            return False
    return True


def _surface(body: dict) -> str:
    if "command" in body:
        return "slash"
    kind = body.get("type")
    if kind == "event_callback":
        return SURFACES.get(body["event"]["type"], "events")
    if kind == "block_actions":
        return "button"
    return "events"


def _events_handler(bolt: AsyncApp):
    async def slack_events(request: web.Request) -> web.StreamResponse:
        request["surface"] = "events"
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, AttributeError, KeyError, LookupError):
            # JSON that does not parse, a form whose payload is not JSON, bytes that are not UTF-8
            return web.json_response({"error": "malformed request body"}, status=400)
        if not _shape_ok(bolt_request.body):
            return web.json_response({"error": "malformed request body"}, status=400)
        request["surface"] = _surface(bolt_request.body)
        bolt_response = await bolt.async_dispatch(bolt_request)
        if bolt_response.status == 404:
            # A signed payload nobody listens for (a new interaction type, say): acknowledge and ignore.
            log.info("slack payload ignored", extra={"type": str(bolt_request.body.get("type"))[:64]})
            return web.Response(status=200)
        if bolt_response.status >= 500:
            log.warning("slack request could not be processed", extra={"status": bolt_response.status})
            return web.json_response({"error": "temporarily unavailable"}, status=503)
        return await to_aiohttp_response(bolt_response)

    return slack_events


def _oauth_handler(step):
    async def slack_oauth(request: web.Request) -> web.StreamResponse:
        request["surface"] = "oauth"
        return await to_aiohttp_response(await step(await to_bolt_request(request)))

    return slack_oauth
