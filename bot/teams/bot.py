"""The ActivityHandler: work out which kind of activity this is, and delegate. Nothing else.

What the activity says was read once on the way in (`bot.teams.inbound.read`);
`run` puts that `Arrival` on the TurnContext, and the handlers pass it on.

botbuilder's plain ActivityHandler rather than TeamsActivityHandler: the Teams
one looks up every person added to a team through the connector
(TeamsInfo.get_member) before it calls us, and we only care whether the bot
itself was added or removed.
"""

from __future__ import annotations

from http import HTTPStatus

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import ChannelAccount

from bot.teams.inbound import ARRIVAL, Arrival, arrival_of
from bot.teams.installs import TeamsInstalls
from bot.teams.private import PrivateChats
from bot.teams.turns import TeamsTurns


def invoke_error(status: int, code: str, message: str) -> InvokeResponse:
    """An invoke answer in the Bot Framework's error shape (what the SDK uses for Adaptive Card invokes)."""
    body = {
        "statusCode": status,
        "type": "application/vnd.microsoft.error",
        "value": {"code": code, "message": message},
    }
    return InvokeResponse(status=status, body=body)


def _includes_bot(members: list[ChannelAccount], context: TurnContext) -> bool:
    bot = context.activity.recipient
    return bot is not None and any(member is not None and member.id == bot.id for member in members)


class LeadbotTeamsBot(ActivityHandler):
    def __init__(self, turns: TeamsTurns, installs: TeamsInstalls, private: PrivateChats):
        self.turns = turns
        self.installs = installs
        self.private = private

    async def run(self, arrival: Arrival, turn_context: TurnContext) -> None:
        """The SDK's turn callback: `adapter.process_activity(auth, activity, partial(bot.run, arrival))`."""
        turn_context.turn_state[ARRIVAL] = arrival
        await self.on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        arrival = arrival_of(turn_context)
        if arrival.place is None or arrival.place.user_id is None:
            return
        if arrival.private:
            await self.private.move(turn_context, arrival, arrival.place)
        else:
            await self.turns.message(turn_context, arrival)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        event = arrival_of(turn_context).event_type
        if event == "channelDeleted":
            await self.installs.removed(turn_context, channel_only=True)
        elif event in ("teamDeleted", "teamHardDeleted"):
            await self.installs.removed(turn_context)
        else:
            await super().on_conversation_update_activity(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        if _includes_bot(members_added, turn_context):
            await self.installs.added(turn_context)

    async def on_members_removed_activity(
        self, members_removed: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        if _includes_bot(members_removed, turn_context):
            await self.installs.removed(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self.installs.added(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self.installs.removed(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """leadbot's cards use Action.Submit (a message), so no invoke is expected: answer "not supported" cleanly."""
        response = await super().on_invoke_activity(turn_context)
        if response is None or response.status == HTTPStatus.NOT_IMPLEMENTED:
            return invoke_error(HTTPStatus.BAD_REQUEST, "NotSupported", "leadbot does not handle this kind of request.")
        if response.status >= 400 and not isinstance(response.body, dict):
            # The SDK's own error bodies for malformed Adaptive Card invokes hold an Exception; say it plainly.
            return invoke_error(response.status, "BadRequest", "leadbot could not read this request.")
        return response
