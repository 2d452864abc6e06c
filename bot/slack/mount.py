"""Mount Slack on leadbot's aiohttp app: POST /slack/events, the OAuth pages, Socket Mode.

Bolt checks every signature (401 for a bad one or a stale timestamp); this
module turns Slack's HTTP into Bolt requests with slack_bolt's own aiohttp
adapter helpers, and checks each body's shape first (`bot.slack.payloads`)
so that a malformed body is a 400, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.metrics import SURFACE, Metrics
from bot.platform import Mounted
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_slack_app
from bot.slack.errors import SlackSetupError
from bot.slack.messenger import SlackMessenger, build_messenger
from bot.slack.payloads import readable
from bot.slack.runtime import SlackRuntime
from bot.slack.setup import check_slack
from bot.slack.socket_mode import app_token, build_socket_mode_handler
from bot.turns import TurnRouter

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DRAIN_SECONDS = (
    5  # on shutdown, turns already acknowledged get at most this long (within the shared budget) to send their replies
)

SLACK = web.AppKey("slack", SlackRuntime)
BOLT = web.AppKey("slack_bolt", AsyncApp)

SURFACES = {"message": "dm", "app_mention": "mention", "app_home_opened": "home"}


def configured(settings: Settings, socket_mode: bool) -> bool:
    # Socket Mode needs no signing secret: Slack's requests arrive over our own WebSocket.
    # Half a set-up (a signing secret alone, a client id without its secret...) stops start-up by name.
    return check_slack(settings, socket_mode)


def mount(
    app: web.Application, services: Services, metrics: Metrics, router: TurnRouter, socket_mode: bool = False
) -> Mounted | None:
    settings = services.settings
    if not configured(settings, socket_mode):
        return None
    if socket_mode:
        app_token(settings)  # fail now, before serving, if the app-level token is missing
    runtime = SlackRuntime(settings, services, metrics, router)
    bolt = create_slack_app(runtime)
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
        if socket_mode:
            try:
                await _start_socket_mode(runtime, bolt, settings)
            except BaseException:
                await runtime.close_session()
                raise
        yield
        await _close_socket_mode(runtime)
        await runtime.close_session()

    def messenger() -> SlackMessenger:
        # Weekly nudges and poll counts go out through the same pooled session as the replies.
        return build_messenger(settings, services.db, metrics, runtime.session)

    async def drain(seconds: float) -> None:
        await _close_socket_mode(runtime)  # take no new work, then let the acknowledged turns finish
        await runtime.inflight.drain(seconds)

    app.cleanup_ctx.append(lifecycle)
    return Mounted("slack", runtime.inflight, messenger, drain, DRAIN_SECONDS)


async def _start_socket_mode(runtime: SlackRuntime, bolt: AsyncApp, settings: Settings) -> None:
    """Check the app token once (a refused token stops start-up with a clear message), then connect
    in the background: slack_sdk's client keeps retrying while Slack is unreachable, and
    /healthz, /readyz and /metrics are served meanwhile."""
    handler = runtime.socket_mode = build_socket_mode_handler(bolt, settings)
    try:
        opened = await bolt.client.apps_connections_open(app_token=handler.app_token)
    except SlackApiError as exc:
        await handler.close_async()
        raise SlackSetupError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): check the app-level token"
        ) from None
    except Exception:
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
        if not readable(bolt_request.body):
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
