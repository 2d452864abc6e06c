"""A fake of the Slack Web API (and of response_url) on loopback, for end-to-end tests and benchmarks.

The bot's real AsyncWebClient is pointed at it with SLACK_API_URL. It answers
the methods leadbot calls the way Slack does (`{"ok": true, ...}` or
`{"ok": false, "error": ...}`), records every call, and can be told to answer
429 with Retry-After, 5xx, or an error code for a channel.

    fake = FakeSlackApi(); await fake.start()
    fake.add_workspace("T1", "xoxb-1", bot_user_id="UBOT1")
    ...  # drive leadbot
    [post] = await fake.wait_for("chat.postMessage")
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.throttle import Throttle

APP_ID = "A0LEADBOT"


@dataclass
class Workspace:
    team_id: str
    token: str
    bot_user_id: str
    bot_id: str
    team_name: str = "Test team"
    installer: str = "U0INSTALLER"


@dataclass
class Call:
    method: str  # "chat.postMessage", ... or "respond" for a response_url post
    token: str | None
    args: dict[str, Any]
    path: str = ""
    at: float = field(default_factory=time.monotonic)

    @property
    def team_id(self) -> str | None:
        return self.args.get("_team_id")

    @property
    def blocks(self) -> list[dict]:
        raw = self.args.get("blocks") or []
        return json.loads(raw) if isinstance(raw, str) else raw

    @property
    def text(self) -> str:
        return self.args.get("text") or ""

    def buttons(self) -> list[dict]:
        return [e for b in self.blocks if b.get("type") == "actions" for e in b.get("elements", [])]

    def button(self, label: str) -> dict:
        for b in self.buttons():
            if b["text"]["text"] == label:
                return b
        raise AssertionError(f"no button labelled {label!r}; have {[b['text']['text'] for b in self.buttons()]}")

    def header(self) -> str | None:
        for b in self.blocks:
            if b.get("type") == "header":
                return b["text"]["text"]
        return None

    def all_text(self) -> str:
        """Every visible string in the message, for assertions about what a person would read."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("text"), str):
                    out.append(node["text"])
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(self.blocks)
        return "\n".join(out)


@dataclass
class Failure:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []  # every call answered with ok: true (what Slack accepted)
        self.attempts: list[Call] = []  # every request, including the ones answered with an error
        self.workspaces: dict[str, Workspace] = {}  # by token
        self.oauth_codes: dict[str, Workspace] = {}
        self.client_id: str | None = None
        self.client_secret: str | None = None
        self.channel_errors: dict[str, str] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.hang: set[str] = set()
        self.drop: dict[
            str, int
        ] = {}  # method (or "respond") -> how many of its next requests lose the connection unanswered
        self.throttle: Throttle | None = None  # chat.postMessage rate limits, per workspace
        self.post_delay = 0.0  # seconds a chat.postMessage waits after it is recorded, before it is answered
        self.slow: dict[str, float] = {}  # method -> seconds to take before answering (a slow Slack)
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections leadbot opened
        self.locales: dict[str, str] = {}  # user id -> the locale users.info reports with include_locale
        self.on_call: list[
            Callable[[Call], None]
        ] = []  # called with each accepted call (benchmarks)  # methods that never answer (client timeouts)
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- set-up ------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk reads some methods with GET (users.info)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._released.set()
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/respond/{name}"

    def add_workspace(
        self, team_id: str, token: str, bot_user_id: str = "UBOT", bot_id: str = "B0BOT", code: str | None = None
    ) -> Workspace:
        ws = Workspace(team_id=team_id, token=token, bot_user_id=bot_user_id, bot_id=bot_id)
        self.workspaces[token] = ws
        if code:
            self.oauth_codes[code] = ws
        return ws

    def fail_next(
        self,
        method: str,
        status: int = 429,
        times: int = 1,
        headers: dict[str, str] | None = None,
        error: str = "ratelimited",
    ) -> None:
        for _ in range(times):
            self.failures.setdefault(method, []).append(Failure(status, headers or {}, {"ok": False, "error": error}))

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` requests to `method` ("respond" for response_url) lose their connection, unanswered."""
        self.drop[method] = self.drop.get(method, 0) + times

    def _dropped(self, request: web.Request, method: str) -> bool:
        if self.drop.get(method, 0) <= 0:
            return False
        self.drop[method] -= 1
        if request.transport is not None:
            request.transport.close()
        return True

    def release(self) -> None:
        """Let calls held by `hang` go through."""
        self.hang.clear()
        self._released.set()

    # --- reading what the bot did -------------------------------------------

    def of(self, method: str, **match: Any) -> list[Call]:
        return [c for c in self.calls if c.method == method and all(c.args.get(k) == v for k, v in match.items())]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10, **match: Any) -> list[Call]:
        """The first `count` calls of `method` (matching args), waiting for them to arrive."""

        def enough() -> bool:
            return len(self.of(method, **match)) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), timeout)
        return self.of(method, **match)[:count]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    # --- the API -------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            args.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            args.update(dict(await request.post()))
        return args

    def _token(self, request: web.Request, args: dict[str, Any]) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:]
        return args.get("token")

    async def _record(self, into: list[Call], call: Call) -> None:
        async with self._changed:
            into.append(call)
            self._changed.notify_all()
        if into is self.calls:
            for hook in self.on_call:
                hook(call)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._args(request)
        token = self._token(request, args)
        ws = self.workspaces.get(token or "")
        if ws:
            args["_team_id"] = ws.team_id
        call = Call(method, token, args, request.path)
        await self._record(self.attempts, call)
        if method in self.hang:
            await self._released.wait()  # until stop(): the client gives up first
        if method == "chat.postMessage" and self.throttle is not None and ws is not None:
            wait = self.throttle.check(ws.team_id)
            if wait is not None:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(wait)}
                )
        if method in self.slow:
            await asyncio.sleep(self.slow[method])
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        if method == "oauth.v2.access":
            return await self._oauth(request, call)
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-"):
                return web.json_response({"ok": False, "error": "not_allowed_token_type"})
            await self._record(self.calls, call)
            return web.json_response({"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"})
        if ws is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        body = self._answer(method, ws, args)
        if body.get("ok"):
            await self._record(self.calls, call)
            if method == "chat.postMessage" and self.post_delay:
                await asyncio.sleep(self.post_delay)  # it has arrived; the answer is still on its way
        return web.json_response(body)

    def _answer(self, method: str, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if method == "auth.test":
            return {
                "ok": True,
                "url": f"https://{ws.team_id.lower()}.slack.com/",
                "team": ws.team_name,
                "user": "leadbot",
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "bot_id": ws.bot_id,
                "is_enterprise_install": False,
            }
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update") and channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            message = {
                "type": "message",
                "text": args.get("text"),
                "user": ws.bot_user_id,
                "bot_id": ws.bot_id,
                "app_id": APP_ID,
                "ts": ts,
                "team": ws.team_id,
            }
            if args.get("blocks") is not None:
                message["blocks"] = args["blocks"]
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            args["ts"] = ts
            args["_message"] = message
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": args.get("ts"), "text": args.get("text")}
        if method == "views.publish":
            return {
                "ok": True,
                "view": {
                    "id": "V0HOME",
                    "type": "home",
                    **(args.get("view") if isinstance(args.get("view"), dict) else {}),
                },
            }
        if method == "users.info":
            user = str(args.get("user") or "")
            found: dict[str, Any] = {"id": user, "team_id": ws.team_id, "name": user.lower(), "is_bot": False}
            if str(args.get("include_locale")).lower() in ("true", "1"):
                found["locale"] = self.locales.get(user, "en-US")
            return {"ok": True, "user": found}
        if method == "conversations.open":
            users = str(args.get("users") or "")
            return {"ok": True, "channel": {"id": f"D{users.lstrip('UW')[:10]}"}}
        return {"ok": False, "error": "unknown_method"}

    async def _oauth(self, request: web.Request, call: Call) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        client_id = call.args.get("client_id")
        secret = call.args.get("client_secret")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (client_id, secret) != (self.client_id, self.client_secret):
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        ws = self.oauth_codes.pop(str(call.args.get("code")), None)
        if ws is None:
            return web.json_response({"ok": False, "error": "invalid_code"})
        await self._record(self.calls, call)
        return web.json_response(
            {
                "ok": True,
                "app_id": APP_ID,
                "authed_user": {"id": ws.installer},
                "scope": "app_mentions:read,chat:write,commands,im:history,im:write",
                "token_type": "bot",
                "access_token": ws.token,
                "bot_user_id": ws.bot_user_id,
                "team": {"id": ws.team_id, "name": ws.team_name},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        )

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        """Socket Mode: say hello, then record every acknowledgement leadbot sends back."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake"},
                "connection_info": {"app_id": APP_ID},
            }
        )
        async with self._changed:
            self.sockets.append(ws)
            self._changed.notify_all()
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await self._record(self.calls, Call("socket_ack", None, json.loads(msg.data), request.path))
        return ws

    async def send_envelope(self, envelope_id: str, kind: str, payload: dict[str, Any]) -> None:
        """Deliver an Events API / interactivity payload over Socket Mode, as Slack does."""
        message = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            message.update({"retry_attempt": 0, "retry_reason": ""})
        await self.sockets[-1].send_json(message)

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        """response_url: what a slash command's or a button's ephemeral answer goes to."""
        body = await request.json()
        if "respond" in self.hang:
            await self._released.wait()
        call = Call("respond", None, {**body, "_name": request.match_info["name"]}, request.path)
        await self._record(self.attempts, call)
        if self._dropped(request, "respond"):
            return web.Response(status=500)  # never reaches the client: its connection is gone
        queued = self.failures.get("respond")
        if queued:
            failure = queued.pop(0)  # Slack's response_url answers errors in plain text
            return web.Response(status=failure.status, headers=failure.headers, text=str(failure.body.get("error")))
        await self._record(self.calls, call)
        return web.Response(text="ok")
