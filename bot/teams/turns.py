"""One conversation turn from Teams: translate, hand to the dialogs, render the replies, send them.

Replies go back through the TurnContext (the SDK addresses them: personal chat,
or the thread in a channel). The connector client retries 429 and 5xx; a reply
that still fails is logged with its outcome, never its text, and counted.
"""

from __future__ import annotations

import asyncio
import logging

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.metrics import Metrics
from bot.services import Services
from bot.teams.cards import card_activity, text_activity
from bot.teams.inbound import Place, reference_for, to_inbound
from bot.teams.outcomes import delivery_for_error, status_of
from bot.teams.references import ReferenceStore
from dialogs.models import Reply
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)


def turn_concurrency(services: Services) -> int:
    """How many turns may work on the database at once in this process.

    SQLite has one writer at a time, and every transaction here takes the write
    lock up front, so more than a couple at once only makes them wait in
    SQLite's busy handler, which is unfair: a few turns starve for seconds while
    others go through. Queuing them here instead (asyncio's semaphore is first
    come, first served) keeps the slowest turn close to the typical one.
    PostgreSQL takes as many as the connection pool holds.
    """
    return 2 if services.settings.is_sqlite else 10


class TeamsTurns:
    def __init__(self, services: Services, metrics: Metrics, references: ReferenceStore):
        self.services = services
        self.metrics = metrics
        self.references = references
        self.gate = asyncio.Semaphore(turn_concurrency(services))

    async def message(self, context: TurnContext, place: Place) -> None:
        inbound = to_inbound(context.activity, place)
        if inbound is None:
            return
        async with self.gate:
            result = await self.services.conversations.handle(inbound)
        self.metrics.record_turn("teams", result.event, result.first_move)
        await self.reply(context, result.replies, compact=place.scope != "personal")
        if result.event == "forget":
            self.references.forget_cached(place)  # and do not store it again for this very message
        elif result.event not in ("duplicate", "unavailable"):
            await self.remember(context.activity, place)

    async def remember(self, activity: Activity, place: Place) -> None:
        """Keep the reference to this chat or channel current, so later proactive messages can reach it."""
        try:
            await self.references.remember(place, reference_for(activity, place))
        except StoreUnavailable:
            pass  # the turn itself will say the bot is unavailable

    async def reply(self, context: TurnContext, replies: list[Reply], compact: bool = False) -> bool:
        """Send each reply as a card; stop at the first that cannot be delivered. True if all went."""
        for reply in replies:
            if not await self.send(context, card_activity(reply, compact)):
                return False
        return True

    async def say(self, context: TurnContext, text: str) -> bool:
        return await self.send(context, text_activity(text))

    async def send(self, context: TurnContext, activity: Activity) -> bool:
        try:
            await context.send_activity(activity)
            return True
        except Exception as exc:  # noqa: BLE001 - any failure to deliver is logged and counted the same way
            delivery = delivery_for_error(exc)
            log.warning(
                "teams reply not delivered",
                extra={"outcome": delivery.outcome, "detail": delivery.detail, "status": status_of(exc), "activity_type": context.activity.type},
            )
            self.metrics.delivery_failures.labels("teams").inc()
            return False
