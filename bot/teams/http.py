"""POST /api/messages: read the request once, authenticate it with the SDK, acknowledge, then run the turn.

The CloudAdapter's own `process()` turns several kinds of bad input into a 500
(no Content-Type, a body that is not JSON, an Activity with no conversation),
so this handler reads the body first (`bot.teams.inbound.read`: 400 for
anything that is not an Activity) and then drives the same SDK steps itself:
`authenticate_request` (401 when it fails, before anything is processed) and
`process_activity` with the authenticated result. Invokes need their answer in
the HTTP response, so they run inline; everything else is acknowledged with
202 and runs straight after, counted in the platform's `InFlight`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from urllib.parse import urlparse

import requests
from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.schema import Activity, ActivityTypes

from bot.metrics import SURFACE
from bot.teams.inbound import NotAnActivity, read
from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

HANDLED = {
    ActivityTypes.message,
    ActivityTypes.conversation_update,
    ActivityTypes.installation_update,
    ActivityTypes.invoke,
}


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def is_local(request: web.Request, service_url: str | None) -> bool:
    """Sent from this machine (not through a proxy) and answered to this machine: local testing.

    Without an app id nothing is authenticated, so anything else could make the
    bot post to addresses of the sender's choosing.
    """
    if any(name in request.headers for name in FORWARDED):
        return False
    return _loopback(request.remote) and _loopback(urlparse(service_url or "").hostname)


def _invoke_body(body):
    if body is None or isinstance(body, (dict, list, str, int, float, bool)):
        return body
    try:
        return serializer_helper(body)
    except Exception:
        return None


class MessagesEndpoint:
    def __init__(self, runtime: TeamsRuntime):
        self.runtime = runtime

    async def handle(self, request: web.Request) -> web.StreamResponse:
        request[SURFACE] = "events"
        if request.content_type != "application/json":
            return _error(415, "expected an application/json Activity")
        raw = await request.read()  # over the app's 1 MiB limit: aiohttp answers 413
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _error(400, "body is not JSON")
        try:
            arrival = read(body)
        except NotAnActivity as exc:
            return _error(400, str(exc))
        try:
            activity = Activity().deserialize(body)  # the SDK's own reading, for authentication and replies
        except Exception:
            return _error(400, "body is not an Activity")
        request[SURFACE] = arrival.surface
        runtime = self.runtime
        if runtime.local_only and not is_local(request, arrival.wire.serviceUrl):
            log.warning("unauthenticated mode: a request from or for another machine was refused")
            return _error(401, "this bot runs without authentication, for local testing only: set MICROSOFT_APP_ID")

        adapter = runtime.adapter
        try:
            auth = await adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization") or None
            )
        except requests.RequestException as exc:
            log.warning("teams token keys unreachable", extra={"error_type": type(exc).__name__})
            return _error(503, "cannot check the token right now")
        except Exception as exc:
            log.info("teams request refused: not authenticated", extra={"error_type": type(exc).__name__})
            return _error(401, "unauthorised")

        if activity.type == ActivityTypes.invoke:
            try:
                response = await runtime.process(auth, activity, arrival)
            except Exception as exc:
                log.error("teams invoke failed", exc_info=(type(exc), exc, exc.__traceback__))
                return _error(503, "try again")
            if response is None:
                return web.Response(status=200)
            try:
                return web.json_response(_invoke_body(response.body), status=int(response.status or 200))
            except (TypeError, ValueError):
                return web.Response(status=int(response.status or 200))

        if activity.type == ActivityTypes.message:
            # A turn if there is room (LEADBOT_MAX_TURNS_IN_FLIGHT), else an immediate "busy" answer.
            if runtime.inflight.admit():
                runtime.inflight.spawn(runtime.process(auth, activity, arrival), turn=True)
            else:
                runtime.inflight.spawn(runtime.busy(auth, activity, arrival))
        elif activity.type in HANDLED:
            runtime.inflight.spawn(runtime.process(auth, activity, arrival))  # installs: rare, never refused
        return web.Response(status=202)
