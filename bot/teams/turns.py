"""One conversation turn from Teams: translate, hand to the dialogs, render the replies, send them.

Replies go back through the TurnContext (the SDK addresses them: personal chat,
or the thread in a channel). The connector client retries 429 and 5xx; a reply
that still fails is logged with its outcome, never its text, and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.metrics import Metrics
from bot.nudges.service import NudgeService
from bot.services import Services
from bot.teams.cards import card_activity, text_activity
from bot.teams.inbound import Place, reference_for, to_inbound
from bot.teams.outcomes import delivery_for_error, status_of
from bot.teams.references import ReferenceStore
from dialogs.models import Reply
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
COMMAND_PREFIX = "@leadbot "  # how people address the bot in a channel


def turn_concurrency(services: Services) -> int | None:
    """How many turns may work on the database at once in this process; None for no limit of our own.

    SQLite: no limit here. The engine has one pooled connection and its queue is
    first come, first served, so turns already wait their turn there; a second
    queue in front of it only made Teams turns wait twice, behind each other and
    then behind every Slack turn in the pool's queue (p99 several times
    Slack's under load, see benchmarks/load_test.py). PostgreSQL: as many as the
    connection pool holds, leaving its overflow to Slack and the nudges.
    """
    return None if services.settings.is_sqlite else 10


class TeamsTurns:
    def __init__(self, services: Services, metrics: Metrics, references: ReferenceStore, nudges: NudgeService):
        self.services = services
        self.metrics = metrics
        self.references = references
        self.nudges = nudges
        limit = turn_concurrency(services)
        self.gate: asyncio.Semaphore | contextlib.AbstractAsyncContextManager = asyncio.Semaphore(limit) if limit else contextlib.nullcontext()

    async def message(self, context: TurnContext, place: Place) -> None:
        inbound = to_inbound(context.activity, place)
        if inbound is None:
            return
        if await self.nudge_turn(context, place, inbound):
            return
        async with self.gate:
            result = await self.services.conversations.handle(inbound)
        self.metrics.record_turn("teams", result.event, result.first_move)
        await self.reply(context, result.replies, compact=place.scope != "personal")
        if result.event == "forget":
            self.references.forget_cached(place)  # and do not store it again for this very message
        elif result.event not in ("duplicate", "unavailable"):
            await self.remember(context.activity, place)

    async def nudge_turn(self, context: TurnContext, place: Place, inbound) -> bool:
        """Weekly-nudge commands and poll votes; False when the message is something else.

        A command is answered in the thread, where the channel can see who changed the schedule.
        A vote gets no reply: Teams has no message only the voter would see, and a thanks in the
        channel would tell everyone how they voted; the card's counts change instead.
        """
        if not self.nudges.concerns(inbound):
            return False
        async with self.gate:
            replies = await self.nudges.handle(
                inbound, context.activity.reply_to_id, in_channel=place.scope != "personal", prefix=COMMAND_PREFIX
            )
        if replies is None:
            return False
        self.metrics.record_turn("teams", "nudge", None)
        if inbound.choice is not None:
            replies = [r for r in replies if r.kind == "error"]
        await self.reply(context, replies)
        await self.remember(context.activity, place)  # the channel's reference: where its nudges will go
        return True

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
