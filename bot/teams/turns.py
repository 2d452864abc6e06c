"""One message from Teams: hand its Inbound to the turn router, send the replies back, remember the chat.

Replies go back through the TurnContext (the SDK addresses them: personal chat,
or the thread in a channel). The connector client retries 429 and 5xx; a reply
that still fails is reported once (`bot.delivery.report_undelivered`), never
with its text.
"""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.delivery import report_undelivered
from bot.metrics import Metrics
from bot.teams.cards import card_activity, text_activity
from bot.teams.failures import delivery_for
from bot.teams.inbound import Arrival, Place, reference_for
from bot.teams.references import ReferenceStore
from bot.turns import TurnRouter
from dialogs.models import Reply
from dialogs.store import StoreUnavailable

# A turn that ended like this says nothing new about where the chat is: its reference is not saved.
NOT_REMEMBERED = ("duplicate", "unavailable")


class TeamsTurns:
    def __init__(self, router: TurnRouter, metrics: Metrics, references: ReferenceStore):
        self.router = router
        self.metrics = metrics
        self.references = references

    async def message(self, context: TurnContext, arrival: Arrival) -> None:
        place, inbound = arrival.place, arrival.inbound
        if place is None or inbound is None:
            return
        routed = await self.router.route(inbound)
        replies = routed.replies
        if routed.kind == "poll_vote":
            # No thanks for a vote (nor "you've already voted"): Teams has no message only the voter would
            # see, and a thanks in the channel would tell everyone how they voted; the card's counts change
            # instead, once LEADBOT_POLL_MIN_VOTES people have voted.
            replies = [r for r in replies if r.kind == "error"]
        # A command is answered in the thread, where the channel can see who changed the schedule.
        await self.reply(context, replies, compact=routed.kind == "conversation" and place.scope != "personal")
        if routed.event == "forget":
            self.references.forget_cached(place)  # and do not store it again for this very message
        elif routed.event not in NOT_REMEMBERED:
            await self.remember(arrival, place)  # for a channel's nudge command: where its nudges will go

    async def remember(self, arrival: Arrival, place: Place) -> None:
        """Keep the reference to this chat or channel current, so later proactive messages can reach it."""
        try:
            await self.references.remember(place, reference_for(arrival.wire, place))
        except StoreUnavailable:
            pass  # the turn itself will say the bot is unavailable

    async def reply(self, context: TurnContext, replies: list[Reply], compact: bool = False) -> bool:
        """Send each reply as a card; stop at the first that cannot be delivered. True if all went."""
        for reply in replies:
            words = self.router.conversations.content.in_language(reply.language).wording
            if not await self.send(context, card_activity(reply, compact, words)):
                return False
        return True

    async def say(self, context: TurnContext, text: str) -> bool:
        return await self.send(context, text_activity(text))

    async def send(self, context: TurnContext, activity: Activity) -> bool:
        try:
            await context.send_activity(activity)
            return True
        except Exception as exc:
            report_undelivered(self.metrics, "teams", "reply", delivery_for(exc), activity_type=context.activity.type)
            return False
