"""The one turn router both platforms call: a nudge command, a poll vote or a conversation turn, counted once.

An adapter translates a platform event into an `Inbound`, hands it to
`TurnRouter.route` and renders what comes back; it decides nothing about what
the message means. A poll press or `nudge ...` goes to `dialogs.nudges.turns`
(and a vote's new counts to the channel's message); everything else is a
conversation turn (`dialogs.conversation`). Each turn is counted in
`leadbot_turns_total` and logged once, never with its text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Literal

from bot.metrics import Metrics
from bot.nudges.polls import PollBoard
from bot.settings import Settings
from dialogs.conversation import Conversations, TurnResult
from dialogs.models import ConversationKey, Inbound, Reply
from dialogs.nudges.commands import unavailable_reply
from dialogs.nudges.turns import NudgeTurns
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)

Kind = Literal["conversation", "nudge_command", "poll_vote"]


@dataclass
class Routed:
    kind: Kind
    replies: list[Reply]
    event: str  # what happened ("diagnosis", "nudge_on", "duplicate"...), never text
    first_move: str | None = None


class TurnRouter:
    def __init__(
        self,
        conversations: Conversations,
        nudges: NudgeTurns,
        polls: PollBoard,
        metrics: Metrics,
        gates: dict[str, asyncio.Semaphore] | None = None,
    ):
        self.conversations = conversations
        self.nudges = nudges
        self.polls = polls
        self.metrics = metrics
        # Per platform, how many turns may work on the database at once (see turn_gates).
        self.gates = gates or {}

    def is_nudge(self, inbound: Inbound) -> bool:
        """A nudge command or poll press (no I/O), for an adapter that prepares a conversation's rendering early."""
        return self.nudges.concerns(inbound)

    async def route(self, inbound: Inbound) -> Routed:
        nudge = self.nudges.concerns(inbound)
        try:
            async with self._gate(inbound.key.platform):
                if nudge:
                    routed = await self._nudge(inbound)
                else:
                    result = await self.conversations.handle(inbound)
                    routed = Routed("conversation", result.replies, result.event, result.first_move)
        except Exception:
            # The platform has already been told "received": whatever went wrong (a database error
            # the dialogs did not expect, a bug), the person hears that, not silence.
            log.exception("turn failed", extra={"platform": inbound.key.platform})
            routed = self._failed(nudge, inbound)
        self._count(inbound.key.platform, inbound.surface, routed)
        return routed

    def _failed(self, nudge: bool, inbound: Inbound) -> Routed:
        if nudge:
            kind: Kind = "poll_vote" if inbound.choice is not None else "nudge_command"
            guessed = self.conversations.guess(inbound.text, inbound.locale)
            return Routed(kind, [unavailable_reply(guessed)], "error")
        return Routed("conversation", [self.conversations.sorry(inbound)], "error")

    async def move(self, source: ConversationKey, target: ConversationKey) -> TurnResult:
        """Carry a conversation from a channel thread to a direct message (the "continue privately" button)."""
        try:
            async with self._gate(source.platform):
                result = await self.conversations.move(source, target)
        except Exception:
            log.exception("conversation move failed", extra={"platform": source.platform})
            result = TurnResult([Reply(kind="error", lines=[self.conversations.content.messages.unavailable])], "error")
        self.metrics.record_turn(source.platform, result.event, None)
        log.info("conversation moved", extra={"platform": source.platform, "event": result.event})
        return result

    async def _nudge(self, inbound: Inbound) -> Routed:
        result = await self.nudges.handle(inbound)
        if result.refresh is not None:
            try:
                await self.polls.refresh(result.refresh)
            except StoreUnavailable:
                log.warning("poll counts not refreshed: store unavailable", extra={"platform": inbound.key.platform})
            except Exception:
                # The vote is recorded; the counts show on the next vote or refresh. The voter still gets their thanks.
                log.exception("poll counts not refreshed", extra={"platform": inbound.key.platform})
        return Routed("poll_vote" if result.vote else "nudge_command", result.replies, result.event)

    def busy(
        self, platform: str, surface: str, text: str | None = None, locale: str | None = None, stored: str | None = None
    ) -> Reply:
        """The answer to a message not taken because the process is at its bound (LEADBOT_MAX_TURNS_IN_FLIGHT),
        or is shutting down: counted as event "busy". Nothing is read from the database, so the language is
        what the message, a choice already in memory (`stored`) or the locale says, else the default."""
        self.metrics.record_turn(platform, "busy", None)
        log.info("turn refused: busy", extra={"platform": platform, "surface": surface, "event": "busy"})
        content = self.conversations.guess(text, locale, stored)
        return Reply(kind="notice", lines=[content.say("busy")], language=content.language)

    def _count(self, platform: str, surface: str, routed: Routed) -> None:
        # Nudge commands and votes share one metrics event, "nudge"; the log line says which.
        self.metrics.record_turn(
            platform, "nudge" if routed.kind != "conversation" else routed.event, routed.first_move
        )
        log.info(
            "turn",
            extra={
                "platform": platform,
                "surface": surface,
                "kind": routed.kind,
                "event": routed.event,
                "replies": len(routed.replies),
            },
        )

    def _gate(self, platform: str) -> contextlib.AbstractAsyncContextManager:
        return self.gates.get(platform) or contextlib.nullcontext()


def turn_gates(settings: Settings) -> dict[str, asyncio.Semaphore]:
    """Per platform, how many turns may work on the database at once in this process.

    SQLite: no limit here. The engine has one pooled connection and its queue is
    first come, first served, so turns already wait their turn there; a second
    queue in front of it only made Teams turns wait twice, behind each other and
    then behind every Slack turn in the pool's queue (p99 several times
    Slack's under load, see benchmarks/load_test.py). PostgreSQL: Teams turns get
    as many as the connection pool holds, leaving its overflow to Slack and the nudges.
    """
    return {} if settings.is_sqlite else {"teams": asyncio.Semaphore(10)}
