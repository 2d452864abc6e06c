"""Sending, the same for every platform: what a message's fate was, and how a failed send is reported.

Each platform provides a `Messenger` for proactive sends (the weekly nudges,
poll counts) and maps whatever its SDK raised to a `Delivery` in one function
(`bot.slack.failures.delivery_for`, `bot.teams.failures.delivery_for`). A
fan-out can then pause a channel the bot was removed from and go on with the
rest, and tell "the platform said no" (safe to retry) from "we do not know
whether it arrived". Every send that fails, a reply or a proactive post, is
logged and counted by `report_undelivered`, never with its text.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from dialogs.models import Reply

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

DeliveryOutcome = Literal[
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
    outcome: DeliveryOutcome
    ref: str | None = None  # Slack message ts / Teams activity id
    retry_after: float | None = None
    detail: str | None = None  # the platform's error code, e.g. "channel_not_found" (never message text)
    status: int | None = None  # the HTTP status of the last attempt, when there was one


class Messenger(Protocol):
    platform: str

    async def post(self, target: Target, reply: Reply) -> Delivery: ...

    async def update(self, target: Target, ref: str, reply: Reply) -> Delivery: ...


class Lookup(BaseModel):
    found: bool | None  # True: it is there; False: the platform says it is not; None: cannot tell
    ref: str | None = None


@runtime_checkable
class Reconciler(Protocol):
    """A Messenger that can also answer "did a message stamped with this nudge token reach this channel?".

    With it, a nudge whose send outcome is unknown is looked up and, if it never
    arrived, sent; without it, the unknown send is recorded as sent and never
    repeated (the README's "Weekly nudges" says why).
    """

    async def find(self, target: Target, token: str) -> Lookup: ...


def report_undelivered(
    metrics: Metrics | None, platform: str, method: str, delivery: Delivery, **ids: object
) -> Delivery:
    """Log and count a send that did not go: the platform's error code and outcome, never the text.

    Every one is counted in `leadbot_delivery_failures_total`. "gone" (the channel, or the
    app's place in it, no longer exists) is logged at INFO: nothing can be done about it.
    `ids` may add workspace and channel ids, never names or text.
    """
    if metrics is not None:
        metrics.delivery_failures.labels(platform).inc()
    extra = {"method": method, "outcome": delivery.outcome, "detail": delivery.detail, "status": delivery.status, **ids}
    level = logging.INFO if delivery.outcome == "gone" else logging.WARNING
    log.log(level, f"{platform} send failed", extra=extra)
    return delivery
