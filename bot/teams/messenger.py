"""Proactive messages to Teams (the weekly nudges, a conversation moved to a private chat).

`TeamsMessenger` implements `bot.delivery.Messenger`: it looks up the stored
conversation reference, lets the CloudAdapter set up an authenticated connector
for it (`continue_conversation`), and posts a new message (or updates one)
through that connector. `await messenger.post(target, reply)` is the one call a
scheduler needs; `build_messenger(services)` makes one outside the web server.
A send that does not go is reported once (`bot.delivery.report_undelivered`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference, ResourceResponse
from botframework.connector.aio import ConnectorClient

from bot.delivery import Delivery, Target, report_undelivered
from bot.metrics import Metrics
from bot.teams.cards import card_activity
from bot.teams.failures import delivery_for
from bot.teams.references import ReferenceStore
from dialogs.models import Reply
from dialogs.store import StoreUnavailable

Operation = Callable[[ConnectorClient, str], Awaitable[ResourceResponse | None]]


class TeamsMessenger:
    platform = "teams"

    def __init__(
        self, adapter: CloudAdapter, app_id: str | None, references: ReferenceStore, metrics: Metrics | None = None
    ):
        self.adapter = adapter
        self.app_id = app_id
        self.references = references
        self.metrics = metrics

    async def post(self, target: Target, reply: Reply) -> Delivery:
        """Post `reply` as a new message in the chat or channel; `ref` is the new activity's id."""
        activity = card_activity(reply)
        return await self.send(
            target,
            lambda connector, conversation_id: connector.conversations.send_to_conversation(conversation_id, activity),
        )

    async def update(self, target: Target, ref: str, reply: Reply) -> Delivery:
        """Replace the message `ref` (an activity id from `post`) with `reply`."""
        activity = card_activity(reply)
        activity.id = ref

        async def replace(connector: ConnectorClient, conversation_id: str):
            response = await connector.conversations.update_activity(conversation_id, ref, activity)
            return response if response is not None and response.id else ResourceResponse(id=ref)

        return await self.send(target, replace)

    async def send(self, target: Target, operation: Operation) -> Delivery:
        if target.platform != "teams":
            return Delivery(outcome="failed", detail="not_a_teams_target")
        try:
            reference = await self.references.get(target.workspace_id, target.channel_id)
        except StoreUnavailable:
            return Delivery(outcome="failed", detail="store_unavailable")
        if reference is None:
            return report_undelivered(
                self.metrics, "teams", "proactive", Delivery(outcome="gone", detail="no_conversation_reference")
            )
        return await self.send_to_reference(reference, operation)

    async def send_to_reference(self, reference: ConversationReference, operation: Operation) -> Delivery:
        outcome: dict[str, Delivery] = {}

        async def callback(context: TurnContext) -> None:
            connector: ConnectorClient = context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
            try:
                response = await operation(connector, reference.conversation.id)
                outcome["delivery"] = Delivery(outcome="sent", ref=response.id if response is not None else None)
            except Exception as exc:
                outcome["delivery"] = delivery_for(exc)

        try:
            await self.adapter.continue_conversation(reference, callback, bot_app_id=self.app_id)
        except Exception as exc:
            outcome["delivery"] = delivery_for(exc)
        delivery = outcome.get("delivery") or Delivery(outcome="unknown", detail="no_result")
        if delivery.outcome != "sent":
            report_undelivered(self.metrics, "teams", "proactive", delivery)
        return delivery


def build_messenger(
    services, metrics: Metrics | None = None, endpoints=None, timeout: float | None = None
) -> TeamsMessenger:
    """A messenger for processes without the web server (`leadbot nudge send-due`)."""
    from bot.teams.adapter import build_adapter
    from bot.teams.retry import TIMEOUT_SECONDS

    adapter = build_adapter(services.settings, metrics, endpoints, timeout or TIMEOUT_SECONDS)
    return TeamsMessenger(adapter, services.settings.microsoft_app_id, ReferenceStore(services.db), metrics)
