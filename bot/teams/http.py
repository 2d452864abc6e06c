"""POST /api/messages: check the request, authenticate it with the SDK, acknowledge, then run the turn.

The CloudAdapter's own `process()` turns several kinds of bad input into a 500
(no Content-Type, a body that is not JSON, an Activity with no conversation),
so this handler checks the shape first and then drives the same SDK steps
itself: `authenticate_request` (401 when it fails, before anything is
processed) and `process_activity` with the authenticated result. Invokes need
their answer in the HTTP response, so they run inline; everything else is
acknowledged with 202 and runs straight after.
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
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.server.keys import SURFACE
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


class _Account(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    id: str | None = None
    name: str | None = None
    aadObjectId: str | None = None


class _Conversation(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    id: str | None = None
    tenantId: str | None = None
    conversationType: str | None = None
    isGroup: bool | None = None


class _Wire(BaseModel):
    """The fields of an Activity that we read, with the JSON types Teams sends.

    msrest's deserializer is lenient: it turns `"text": 5` into "5" and `"text": {}` into "{}",
    so a wrongly typed field would be answered as if someone had typed it. `value` (what a card
    submitted) and `channelData` stay free-form; they are read defensively later.
    """

    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)

    type: str | None = None
    id: str | None = None
    channelId: str | None = None
    serviceUrl: str | None = None
    text: str | None = None
    textFormat: str | None = None
    locale: str | None = None
    replyToId: str | None = None
    action: str | None = None
    name: str | None = None
    from_: _Account | None = Field(default=None, alias="from")
    recipient: _Account | None = None
    conversation: _Conversation | None = None
    entities: list[dict] | None = None
    attachments: list[dict] | None = None
    membersAdded: list[_Account] | None = None
    membersRemoved: list[_Account] | None = None


def wire_shape_ok(body: dict) -> bool:
    try:
        _Wire.model_validate(body)
    except ValidationError:
        return False
    return True


def problem_with(activity: Activity) -> str | None:
    """Why this Activity cannot be processed, or None."""
    if not activity.type:
        return "activity has no type"
    if activity.conversation is None or not activity.conversation.id:
        return "activity has no conversation"
    if not activity.channel_id:
        return "activity has no channelId"
    url = urlparse(activity.service_url or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        return "activity has no http(s) serviceUrl"
    if activity.type == ActivityTypes.message and (activity.from_property is None or not activity.from_property.id):
        return "message has no sender"
    return None


def surface_of(activity: Activity) -> str:
    if activity.type == ActivityTypes.message:
        if activity.value is not None:
            return "button"
        return "dm" if (activity.conversation.conversation_type or "personal") == "personal" else "mention"
    if activity.type in (ActivityTypes.conversation_update, ActivityTypes.installation_update):
        return "install"
    if activity.type == ActivityTypes.invoke:
        return "invoke"
    return "events"


FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def is_local(request: web.Request, activity: Activity) -> bool:
    """Sent from this machine (not through a proxy) and answered to this machine: local testing.

    Without an app id nothing is authenticated, so anything else could make the
    bot post to addresses of the sender's choosing.
    """
    if any(name in request.headers for name in FORWARDED):
        return False
    return _loopback(request.remote) and _loopback(urlparse(activity.service_url).hostname)


def _invoke_body(body):
    if body is None or isinstance(body, (dict, list, str, int, float, bool)):
        return body
    try:
        return serializer_helper(body)
    except Exception:  # noqa: BLE001 - an SDK object we cannot serialise: the status still says it all
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
        if not isinstance(body, dict) or not wire_shape_ok(body):
            return _error(400, "body is not an Activity")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # noqa: BLE001 - msrest raises several types for shapes it cannot read
            return _error(400, "body is not an Activity")
        problem = problem_with(activity)
        if problem:
            return _error(400, problem)
        request[SURFACE] = surface_of(activity)
        runtime = self.runtime
        if runtime.local_only and not is_local(request, activity):
            log.warning("unauthenticated mode: a request from or for another machine was refused")
            return _error(401, "this bot runs without authentication, for local testing only: set MICROSOFT_APP_ID")

        adapter = runtime.adapter
        try:
            auth = await adapter.bot_framework_authentication.authenticate_request(activity, request.headers.get("Authorization") or None)
        except requests.RequestException as exc:
            log.warning("teams token keys unreachable", extra={"error_type": type(exc).__name__})
            return _error(503, "cannot check the token right now")
        except Exception as exc:  # noqa: BLE001 - PermissionError, jwt errors, a malformed header: all mean "not authenticated"
            log.info("teams request refused: not authenticated", extra={"error_type": type(exc).__name__})
            return _error(401, "unauthorised")

        if activity.type == ActivityTypes.invoke:
            try:
                response = await adapter.process_activity(auth, activity, runtime.bot.on_turn)
            except Exception as exc:  # noqa: BLE001
                log.error("teams invoke failed", exc_info=(type(exc), exc, exc.__traceback__))
                return _error(503, "try again")
            if response is None:
                return web.Response(status=200)
            try:
                return web.json_response(_invoke_body(response.body), status=int(response.status or 200))
            except (TypeError, ValueError):
                return web.Response(status=int(response.status or 200))

        if activity.type in HANDLED:
            runtime.spawn(adapter.process_activity(auth, activity, runtime.bot.on_turn))
        return web.Response(status=202)
