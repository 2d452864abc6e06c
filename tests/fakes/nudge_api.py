"""A fake chat platform API on loopback that records every nudge posted to it.

A generic platform for the nudge engine's own tests (the platform tests use the
Slack Web API and Bot Framework connector fakes): the generic `HttpMessenger` (tests/fakes/http_messenger.py) posts here over real
HTTP, from the test process or from other OS processes. It can be told to
throttle like the real platforms (a per-workspace token bucket answering 429
with Retry-After), to throttle everything for a while, to answer 5xx, to say a
channel is gone, or to answer slowly.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.throttle import Bucket


@dataclass
class Post:
    platform: str
    workspace_id: str
    channel_id: str
    token: str | None
    ref: str
    reply: dict
    at: float


@dataclass
class FakeNudgeApi:
    rate_per_workspace: float | None = None  # messages per second per workspace; None: unlimited
    burst: float = 10
    delay: float = 0.0  # seconds before answering a post (after recording it)
    posts: list[Post] = field(default_factory=list)
    updates: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    gone: set[tuple[str, str, str]] = field(default_factory=set)
    fail_times: dict[tuple[str, str, str], int] = field(default_factory=dict)  # answer 500 this many times
    throttled: int = 0  # 429s answered
    throttle_until: float = 0.0  # monotonic: every post before this gets 429
    retry_after: int = 1
    throttle_first: int = 0  # the first this-many posts to each workspace get 429 (deterministic throttling)
    requests: int = 0
    hold_answers: asyncio.Event | None = None  # when given, posts are recorded but not answered until it is set

    def __post_init__(self) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._seen: dict[tuple[str, str], int] = {}
        self._waiters: list[tuple[int, asyncio.Event]] = []
        self._update_waiters: list[tuple[object, asyncio.Event]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- control --------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/api/{platform}/post", self._post)
        app.router.add_post("/api/{platform}/update", self._update)
        app.router.add_post("/api/{platform}/find", self._find)
        app.router.add_get("/stats", self._stats)
        app.router.add_post("/reset", self._reset)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def throttle_for(self, seconds: float) -> None:
        self.throttle_until = time.monotonic() + seconds

    def per_channel(self) -> Counter:
        return Counter((p.platform, p.workspace_id, p.channel_id) for p in self.posts)

    def duplicates(self) -> dict:
        return {k: n for k, n in self.per_channel().items() if n > 1}

    async def wait_for_posts(self, n: int, timeout: float = 60) -> None:
        if len(self.posts) >= n:
            return
        event = asyncio.Event()
        self._waiters.append((n, event))
        await asyncio.wait_for(event.wait(), timeout)

    async def wait_for_update(self, predicate, timeout: float = 30) -> None:
        """Until an update satisfying predicate(reply_dict) arrives (or has arrived)."""
        if any(predicate(u) for ups in self.updates.values() for u in ups):
            return
        event = asyncio.Event()
        self._update_waiters.append((predicate, event))
        await asyncio.wait_for(event.wait(), timeout)

    # --- the API ------------------------------------------------------------------------

    async def _post(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.json()
        platform = request.match_info["platform"]
        key = (platform, body["workspace_id"], body["channel_id"])
        now = time.monotonic()
        if now < self.throttle_until:
            self.throttled += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(self.retry_after)}
            )
        seen = self._seen.get(key[:2], 0)
        self._seen[key[:2]] = seen + 1
        if seen < self.throttle_first:
            self.throttled += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(self.retry_after)}
            )
        if self.rate_per_workspace:
            bucket = self._buckets.setdefault(key[:2], Bucket(self.rate_per_workspace, self.burst, self.burst, now))
            wait = bucket.take(now)
            if wait > 0:
                self.throttled += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        if key in self.gone:
            return web.json_response({"ok": False, "error": "channel_not_found"}, status=404)
        if self.fail_times.get(key, 0) > 0:
            self.fail_times[key] -= 1
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        ref = f"{platform}-{len(self.posts) + 1}"
        self.posts.append(Post(platform, key[1], key[2], body.get("token"), ref, body["reply"], now))
        for n, event in self._waiters:
            if len(self.posts) >= n:
                event.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold_answers is not None:
            await self.hold_answers.wait()
        return web.json_response({"ok": True, "ref": ref})

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.updates[body["ref"]].append(body["reply"])
        for predicate, event in self._update_waiters:
            if predicate(body["reply"]):
                event.set()
        return web.json_response({"ok": True, "ref": body["ref"]})

    async def _find(self, request: web.Request) -> web.Response:
        body = await request.json()
        platform = request.match_info["platform"]
        for p in self.posts:
            if (p.platform, p.workspace_id, p.channel_id, p.token) == (
                platform,
                body["workspace_id"],
                body["channel_id"],
                body["token"],
            ):
                return web.json_response({"found": True, "ref": p.ref})
        return web.json_response({"found": False})

    async def _stats(self, request: web.Request) -> web.Response:
        per = self.per_channel()
        return web.json_response(
            {
                "posts": len(self.posts),
                "channels": len(per),
                "duplicates": sum(n - 1 for n in per.values() if n > 1),
                "throttled": self.throttled,
                "requests": self.requests,
            }
        )

    async def _reset(self, request: web.Request) -> web.Response:
        self.posts.clear()
        self.updates.clear()
        self._buckets.clear()
        self._seen.clear()
        self.throttled = self.requests = 0
        return web.json_response({"ok": True})
