"""The app installed in or removed from a personal chat, a team or a group chat.

Teams announces one install twice (conversationUpdate with the bot in
membersAdded, and installationUpdate "add"), and may redeliver either; the
welcome is sent once because the database lets only one caller claim it.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from bot.metrics import Metrics
from bot.services import Services
from bot.teams.inbound import arrival_of, reference_for
from bot.teams.references import ReferenceStore
from bot.teams.turns import TeamsTurns
from dialogs import language
from dialogs.models import Reply
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)


class TeamsInstalls:
    def __init__(self, services: Services, metrics: Metrics, references: ReferenceStore, turns: TeamsTurns):
        self.services = services
        self.metrics = metrics
        self.references = references
        self.turns = turns

    async def added(self, context: TurnContext) -> None:
        arrival = arrival_of(context)
        place = arrival.place
        if place is None:
            log.info("teams install event without tenant or conversation ignored")
            return
        try:
            await self.references.save(place, reference_for(arrival.wire, place))
            welcome = place.scope == "personal" and await self.references.claim_welcome(place.tenant_id, place.home_id)
        except StoreUnavailable:
            log.warning("teams install not recorded: store unavailable", extra={"scope": place.scope})
            return
        log.info("teams app added", extra={"scope": place.scope, "welcome": welcome})
        self.metrics.record_turn("teams", "installed", None)
        if welcome:
            # Nobody has said anything yet: a Welsh Teams gets the welcome in Welsh, anyone else the default.
            code = language.fallback(stored=None, locale=arrival.wire.locale, default=self.services.settings.language)
            said = self.services.content.in_language(code)
            greeting = Reply(kind="info", lines=[said.messages.greeting], language=said.language)
            await self.turns.reply(context, [greeting])

    async def removed(self, context: TurnContext, channel_only: bool = False) -> None:
        """The app was removed (or, with `channel_only`, one channel of a team was deleted)."""
        place = arrival_of(context).place
        if place is None:
            return
        try:
            count = await (self.references.remove_channel(place) if channel_only else self.references.remove(place))
        except StoreUnavailable:
            log.warning("teams removal not recorded: store unavailable", extra={"scope": place.scope})
            return
        log.info("teams app removed", extra={"scope": place.scope, "references": count})
        self.metrics.record_turn("teams", "removed", None)
