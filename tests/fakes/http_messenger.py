"""A generic `bot.delivery.Messenger` that posts to the fake API over real HTTP.

For the engine-level tests: unlike Slack and Teams it can look a message up, so
the engine's reconciling of lost answers is exercised. It maps
HTTP answers to Delivery outcomes the way the real ones must: 2xx sent, 429
throttled (with Retry-After), 404 gone, other errors failed, and no answer
(timeout, connection dropped mid-call) unknown. It also offers `find`, so the
engine can look up a send whose outcome was lost.
"""

from __future__ import annotations

import aiohttp

from bot.delivery import Delivery, Lookup, Target
from dialogs.models import Reply


class BlindHttpMessenger:
    """Posts and updates, but cannot look a message up: like a platform without history access."""

    def __init__(self, platform: str, base_url: str, timeout: float = 30.0):
        self.platform = platform
        self.base = f"{base_url}/api/{platform}"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, connector=aiohttp.TCPConnector(limit=256))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, path: str, body: dict) -> Delivery:
        try:
            async with self._client().post(f"{self.base}/{path}", json=body) as resp:
                data = await resp.json(content_type=None)
                if resp.status == 200:
                    return Delivery(outcome="sent", ref=data.get("ref"))
                error = (data or {}).get("error") or f"http_{resp.status}"
                if resp.status == 429:
                    return Delivery(
                        outcome="throttled", retry_after=float(resp.headers.get("Retry-After", "1")), detail=error
                    )
                if resp.status in (404, 410):
                    return Delivery(outcome="gone", detail=error)
                return Delivery(outcome="failed", detail=error)
        except aiohttp.ClientConnectorError:
            return Delivery(outcome="failed", detail="connect_error")  # never reached the platform
        except (TimeoutError, aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError):
            return Delivery(outcome="unknown", detail="no_answer")

    async def post(self, target: Target, reply: Reply) -> Delivery:
        body = {
            "workspace_id": target.workspace_id,
            "channel_id": target.channel_id,
            "token": reply.choice_token,
            "reply": reply.model_dump(mode="json"),
        }
        return await self._call("post", body)

    async def update(self, target: Target, ref: str, reply: Reply) -> Delivery:
        body = {
            "workspace_id": target.workspace_id,
            "channel_id": target.channel_id,
            "ref": ref,
            "reply": reply.model_dump(mode="json"),
        }
        return await self._call("update", body)


class HttpMessenger(BlindHttpMessenger):
    """Also answers "did this nudge arrive?", so unknown outcomes can be reconciled."""

    async def find(self, target: Target, token: str) -> Lookup:
        try:
            async with self._client().post(
                f"{self.base}/find",
                json={"workspace_id": target.workspace_id, "channel_id": target.channel_id, "token": token},
            ) as resp:
                if resp.status != 200:
                    return Lookup(found=None)
                data = await resp.json()
                return Lookup(found=bool(data["found"]), ref=data.get("ref"))
        except (TimeoutError, aiohttp.ClientError):
            return Lookup(found=None)
