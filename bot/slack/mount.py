"""Mount Slack on leadbot's aiohttp app: POST /slack/events, the OAuth pages, Socket Mode.

Bolt checks every signature (401 for a bad one or a stale timestamp); this
module only turns Slack's HTTP into Bolt requests with slack_bolt's own aiohttp
adapter helpers, and keeps malformed bodies from ever becoming a 500.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.metrics import Metrics
from bot.server.keys import NUDGES, SOCKET_MODE, SURFACE
from bot.server.shutdown import budget
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_slack_app
from bot.slack.errors import SlackSetupError
from bot.slack.setup import check_slack
from bot.slack.messenger import build_messenger
from bot.slack.runtime import SlackRuntime
from bot.slack.socket_mode import app_token, build_socket_mode_handler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DRAIN_SECONDS = 5  # on shutdown, turns already acknowledged get at most this long (within the shared budget) to send their replies

SLACK = web.AppKey("slack", SlackRuntime)
BOLT = web.AppKey("slack_bolt", AsyncApp)

SURFACES = {"message": "dm", "app_mention": "mention", "app_home_opened": "home"}


def configured(settings: Settings, socket_mode: bool) -> bool:
    # Socket Mode needs no signing secret: Slack's requests arrive over our own WebSocket.
    # Half a set-up (a signing secret alone, a client id without its secret...) stops start-up by name.
    return check_slack(settings, socket_mode)


def mount(app: web.Application, services: Services, metrics: Metrics) -> str | None:
    settings = services.settings
    socket_mode = bool(app.get(SOCKET_MODE, False))
    if not configured(settings, socket_mode):
        return None
    if socket_mode:
        app_token(settings)  # fail now, before serving, if the app-level token is missing
    runtime = SlackRuntime(settings, services, metrics, app[NUDGES])
    bolt = create_slack_app(settings, services, metrics, runtime)
    app[SLACK] = runtime
    app[BOLT] = bolt

    if settings.slack_signing_secret is not None:
        # Without a signing secret nothing could be verified: no HTTP route at all then.
        verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
        app.router.add_post(EVENTS_PATH, _events_handler(bolt, verifier))
        if bolt.oauth_flow is not None:
            flow = bolt.oauth_flow
            app.router.add_get(flow.install_path, _oauth_handler(flow.handle_installation))
            app.router.add_get(flow.redirect_uri_path, _oauth_handler(flow.handle_callback))

    async def lifecycle(_app: web.Application):
        bolt.client.session = runtime.open_session()
        # Weekly nudges and poll counts go out through the same pooled session.
        runtime.nudges.messengers["slack"] = build_messenger(settings, services.db, metrics, runtime.session)
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
            await asyncio.wait_for(runtime.drained(), budget(_app).remaining(DRAIN_SECONDS))
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


# What Slack sends to the Request URL: Events API envelopes as JSON, commands and interactivity as forms.
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")
TIMESTAMP = re.compile(r"[0-9]{1,12}")
# Payload types a listener here handles. Any other signed payload (a shortcut, a modal, an options
# request...) is acknowledged and ignored without Bolt: its matchers assume shapes we never check.
DISPATCHED = {"event_callback", "url_verification", "app_rate_limited", "block_actions"}
# Event types we answer, and their fields that must be strings when present. (Other event types
# are ignored, and some of them legitimately carry objects there: team_join's "user", say.)
ANSWERED_EVENTS = {"message", "app_mention", "app_home_opened"}
EVENT_STRINGS = ("user", "channel", "text", "ts", "thread_ts", "subtype", "channel_type", "tab", "bot_id", "event_ts", "team")
TOP_STRINGS = ("type", "team_id", "api_app_id", "event_id", "trigger_id", "response_url", "command", "user_id", "channel_id", "enterprise_id")
ACTION_STRINGS = ("value", "block_id", "action_ts", "type")
OBJECT_STRINGS = {"user": ("id",), "team": ("id",), "channel": ("id",), "container": ("channel_id", "message_ts", "thread_ts", "type")}


def _strings(d: dict, names) -> bool:
    """Each named field, when present and not null, is a string."""
    return all(d.get(n) is None or isinstance(d[n], str) for n in names)


def _shape_ok(body: Any) -> bool:
    """Enough shape for Bolt and our listeners not to trip: anything less is a malformed request."""
    if not isinstance(body, dict) or not _strings(body, TOP_STRINGS):
        return False
    if "event" in body:
        event = body["event"]
        if not (isinstance(event, dict) and isinstance(event.get("type"), str)):
            return False
        if event["type"] in ANSWERED_EVENTS and not _strings(event, EVENT_STRINGS):
            return False
    if "actions" in body:
        actions = body["actions"]
        if not (isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)):
            return False
        if not all(isinstance(a.get("action_id"), str) and _strings(a, ACTION_STRINGS) for a in actions):
            return False
        if not all(a.get("text") is None or isinstance(a["text"], dict) for a in actions):
            return False
    for name in ("user", "team", "channel", "container", "message", "view", "enterprise"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            return False
    return all(not isinstance(body.get(name), dict) or _strings(body[name], fields) for name, fields in OBJECT_STRINGS.items())


def _dispatched(body: dict) -> bool:
    return "command" in body or "ssl_check" in body or body.get("type") in DISPATCHED


def _surface(body: dict) -> str:
    if "command" in body:
        return "slash"
    kind = body.get("type")
    if kind == "event_callback":
        return SURFACES.get(body["event"]["type"], "events")
    if kind == "block_actions":
        return "button"
    return "events"


def _events_handler(bolt: AsyncApp, verifier: SignatureVerifier):
    async def slack_events(request: web.Request) -> web.StreamResponse:
        request[SURFACE] = "events"
        if request.content_type not in CONTENT_TYPES:
            return web.json_response({"error": "expected JSON or a form, as Slack sends"}, status=415)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not TIMESTAMP.fullmatch(timestamp):
            # slack_sdk's verifier raises on a timestamp that is not a number (a 500 from Bolt): refuse it here.
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, AttributeError, KeyError, LookupError, RecursionError):
            # JSON that does not parse (or nests past the parser's depth), a form whose payload is not JSON,
            # bytes that are not UTF-8
            return web.json_response({"error": "malformed request body"}, status=400)
        if not _shape_ok(bolt_request.body):
            return web.json_response({"error": "malformed request body"}, status=400)
        if not _dispatched(bolt_request.body):
            if not isinstance(bolt_request.body.get("type"), str):
                # An empty body, a form with neither payload nor command: nothing Slack ever sends.
                return web.json_response({"error": "malformed request body"}, status=400)
            if not verifier.is_valid(bolt_request.raw_body, timestamp, request.headers.get("X-Slack-Signature")):
                return web.json_response({"error": "invalid request"}, status=401)
            log.info("slack payload ignored", extra={"type": str(bolt_request.body.get("type"))[:64]})
            return web.Response(status=200)
        request[SURFACE] = _surface(bolt_request.body)
        bolt_response = await bolt.async_dispatch(bolt_request)
        if bolt_response.status == 404:
            # A signed payload nobody listens for (a new event type, say): acknowledge and ignore.
            log.info("slack payload ignored", extra={"type": str(bolt_request.body.get("type"))[:64]})
            return web.Response(status=200)
        if bolt_response.status >= 500:
            log.warning("slack request could not be processed", extra={"status": bolt_response.status})
            return web.json_response({"error": "temporarily unavailable"}, status=503)
        return await to_aiohttp_response(bolt_response)

    return slack_events


def _oauth_handler(step):
    async def slack_oauth(request: web.Request) -> web.StreamResponse:
        request[SURFACE] = "oauth"
        return await to_aiohttp_response(await step(await to_bolt_request(request)))

    return slack_oauth
