""" "Continue in a private chat": carry a conversation from a channel thread to the person's personal chat.

The personal chat is the one stored when the manager installed the app (or last
wrote to the bot privately); failing that, the bot asks the connector to create
it (`CloudAdapter.create_conversation`), which works once the app is available to
that person. The dialog state moves (`TurnRouter.move`), the replies
that show where it is are posted there proactively, and the thread gets a short
confirmation.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationParameters, ConversationReference

from bot.services import Services
from bot.teams.cards import card_activity
from bot.teams.failures import delivery_for
from bot.teams.inbound import Arrival, Place
from bot.teams.messenger import TeamsMessenger
from bot.teams.references import ReferenceStore
from bot.teams.turns import TeamsTurns
from bot.turns import TurnRouter
from dialogs import language
from dialogs.models import ConversationKey
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)


class PrivateChats:
    def __init__(
        self,
        services: Services,
        router: TurnRouter,
        adapter: CloudAdapter,
        app_id: str | None,
        references: ReferenceStore,
        messenger: TeamsMessenger,
        turns: TeamsTurns,
    ):
        self.services = services
        self.router = router
        self.adapter = adapter
        self.app_id = app_id
        self.references = references
        self.messenger = messenger
        self.turns = turns

    async def move(self, context: TurnContext, arrival: Arrival, place: Place) -> None:
        activity = arrival.wire
        source = place.key()
        try:
            if activity.id and not await self.services.store.claim_event("teams", place.tenant_id, activity.id[:200]):
                return  # a redelivered press
            if await self.services.store.load_state(source) is None:
                # Pressed twice, or by someone else in the channel: their own conversation here is empty.
                await self.turns.say(context, self._words(arrival)["teams_nothing_to_move"])
                return
            reference = await self.references.find_personal(place.tenant_id, place.user_id or "")
        except StoreUnavailable:
            await self.turns.say(context, self._content(arrival).messages.unavailable)
            return
        if reference is None:
            reference = await self._create_personal_chat(arrival, place)
        if reference is None:
            await self.turns.say(context, self._words(arrival)["teams_cannot_message_privately"])
            return
        target = ConversationKey(
            platform="teams",
            workspace_id=place.tenant_id,
            user_id=source.user_id,
            conversation_id=reference.conversation.id,
        )
        result = await self.router.move(source, target)
        if result.event != "moved":
            await self.turns.reply(context, result.replies, compact=True)
            return
        words = self._words(arrival, result.replies)
        for reply in result.replies:
            activity_out = card_activity(reply, words=words)
            delivery = await self.messenger.send_to_reference(
                reference,
                lambda connector, conversation_id, a=activity_out: connector.conversations.send_to_conversation(
                    conversation_id, a
                ),
            )
            if delivery.outcome != "sent":
                await self.turns.say(context, words["teams_cannot_message_privately"])
                return
        await self.turns.say(context, words["teams_moved"])

    def _content(self, arrival: Arrival, replies: list | None = None):
        """Our content in the conversation's language if it has replies, else as the Activity's locale suggests."""
        if replies:
            code = replies[0].language
        else:
            code = language.fallback(stored=None, locale=arrival.wire.locale, default=self.services.settings.language)
        return self.services.content.in_language(code)

    def _words(self, arrival: Arrival, replies: list | None = None):
        return self._content(arrival, replies).wording

    async def _create_personal_chat(self, arrival: Arrival, place: Place) -> ConversationReference | None:
        activity = arrival.wire
        if activity.recipient is None or activity.from_ is None:
            return None
        bot = ChannelAccount(id=activity.recipient.id)
        user = ChannelAccount(id=activity.from_.id, aad_object_id=activity.from_.aadObjectId)
        parameters = ConversationParameters(
            is_group=False,
            bot=bot,
            members=[ChannelAccount(id=user.id)],
            tenant_id=place.tenant_id,
            channel_data={"tenant": {"id": place.tenant_id}},
        )
        created: dict[str, str] = {}

        async def remember_id(new_context: TurnContext) -> None:
            created["id"] = new_context.activity.conversation.id

        try:
            await self.adapter.create_conversation(
                self.app_id, remember_id, parameters, channel_id=activity.channelId, service_url=activity.serviceUrl
            )
        except Exception as exc:
            delivery = delivery_for(exc)
            log.info("teams personal chat not created", extra={"outcome": delivery.outcome, "detail": delivery.detail})
            return None
        if not created.get("id"):
            return None
        reference = ConversationReference(
            channel_id=activity.channelId,
            service_url=activity.serviceUrl,
            conversation=ConversationAccount(
                id=created["id"], conversation_type="personal", tenant_id=place.tenant_id, is_group=False
            ),
            bot=bot,
            user=user,
        )
        personal = Place(place.tenant_id, "personal", created["id"], created["id"], None, place.user_id)
        try:
            await self.references.save(personal, reference)
        except StoreUnavailable:
            pass  # the move can still go ahead; the next private message stores it
        return reference
