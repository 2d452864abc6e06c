"""Proactive sending, the same for every platform: what the nudge scheduler calls.

Each platform provides a `Messenger`. Failures come back as a `Delivery`
saying what happened, so a fan-out can pause a channel the bot was removed
from and go on with the rest, and can tell "the platform said no" (safe to
retry) from "we do not know whether it arrived".
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel

from dialogs.models import Reply

Outcome = Literal[
    "sent",  # delivered; `ref` identifies the message for later updates
    "gone",  # channel archived or deleted, bot removed, team deleted: pause this target
    "throttled",  # still rate limited after the client's own retries; try later (retry_after)
    "failed",  # the platform answered with an error (5xx after retries, 4xx we cannot fix)
    "unknown",  # no answer (timeout, connection dropped mid-call): it may or may not have arrived
]


class Target(BaseModel):
    platform: Literal["slack", "teams"]
    workspace_id: str  # Slack team id / Teams tenant id
    channel_id: str  # Slack channel id / Teams conversation id


class Delivery(BaseModel):
    outcome: Outcome
    ref: str | None = None  # Slack message ts / Teams activity id
    retry_after: float | None = None
    detail: str | None = None  # the platform's error code, e.g. "channel_not_found" (never message text)


class Messenger(Protocol):
    platform: str

    async def post(self, target: Target, reply: Reply) -> Delivery: ...

    async def update(self, target: Target, ref: str, reply: Reply) -> Delivery: ...
