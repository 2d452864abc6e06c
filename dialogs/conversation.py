"""One turn of a conversation with storage around it: load, let the dialog decide, save, apply effects.

The turn router (`bot.turns`) calls `Conversations.handle(inbound)` for every
message that is not a nudge command or poll vote. Failures a user can cause
never escape; a store that is down yields the kind "try again in a minute" reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pydantic import ValidationError

from dialogs.diagnosis.types import Diagnosis
from dialogs.dialog import Dialog
from dialogs.flows.info import help_reply
from dialogs.models import ConversationKey, Inbound, Reply
from dialogs.dialog_result import DialogResult, ForgetUser, RecordEscalation, RecordFeedback, RecordMisread
from dialogs.state import ConversationState
from dialogs.store import StateConflict, Store, StoreUnavailable

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a conflict means another replica saved first: reload and handle again


@dataclass
class TurnResult:
    replies: list[Reply]
    event: str  # what happened ("diagnosis", "escalation", "duplicate", "unavailable"...), never text
    first_move: str | None = None
    effects: list = field(default_factory=list)


class Conversations:
    def __init__(self, dialog: Dialog, store: Store):
        self.dialog = dialog
        self.store = store
        self.content = dialog.content

    async def handle(self, inbound: Inbound) -> TurnResult:
        """One turn. The delivery claim, the state and every write commit together or not at all."""
        key = inbound.key
        try:
            # Read the message before the transaction opens: the diagnosis needs no stored state, and on
            # SQLite's one connection every millisecond inside the transaction is one every other turn waits.
            read = self.dialog.read_ahead(inbound)
            for _ in range(MAX_ATTEMPTS):
                try:
                    return await self._turn(inbound, read)
                except StateConflict:
                    continue  # another replica saved this conversation first: read it again
            log.warning("conversation kept changing under us; giving up this turn", extra={"platform": key.platform})
            return TurnResult([Reply(kind="error", lines=[self.content.messages.unavailable])], "conflict")
        except StoreUnavailable:
            log.warning("store unavailable", extra={"platform": key.platform, "event": "unavailable"})
            return TurnResult([Reply(kind="error", lines=[self.content.messages.unavailable])], "unavailable")
        except Exception:
            # A bug must not silence the bot; nothing was committed, so the platform's retry is handled.
            log.exception("turn failed", extra={"platform": key.platform})
            return TurnResult([Reply(kind="error", lines=[self.content.messages.unavailable])], "error")

    async def move(self, source: ConversationKey, target: ConversationKey) -> TurnResult:
        """Carry a conversation to another place (a channel thread -> a private chat) and show where it is.

        The state moves, not a transcript: the diagnosis is rebuilt from its labels.
        """
        try:
            stored = await self.store.load_state(source)
            existing = await self.store.load_state(target)
            if stored is None:
                # Nothing to carry (pressed twice, or already moved): show the private chat as it is.
                state, _ = _parse(existing.data if existing else None)
                return TurnResult(self.dialog.resume(state).replies, "moved")
            state, _ = _parse(stored.data)
            decided = self.dialog.resume(state)
            await self.store.save_state(target, decided.state.model_dump(mode="json"), existing.version if existing else None)
            await self.store.delete_state(source)
            return TurnResult(decided.replies, "moved")
        except (StoreUnavailable, StateConflict):
            return TurnResult([Reply(kind="error", lines=[self.content.messages.unavailable])], "unavailable")

    async def _turn(self, inbound: Inbound, read: Diagnosis | None = None) -> TurnResult:
        async with self.store.turn(inbound.key, inbound.event_id) as turn:
            if turn is None:
                log.info("duplicate delivery ignored", extra={"platform": inbound.key.platform, "event": "duplicate"})
                return TurnResult([], "duplicate")
            state, lost = _parse(turn.state.data if turn.state else None)
            if lost and inbound.choice is not None:
                # The press belongs to a conversation we can no longer read (content or code changed).
                reset = Reply(kind="notice", lines=[self.content.messages.state_reset])
                decided = DialogResult([reset, help_reply(self.content)], ConversationState(), event="state_reset")
            else:
                decided = self.dialog.handle(inbound, state, read)

            if any(isinstance(e, ForgetUser) for e in decided.effects):
                count = await turn.forget_user()
                records = f"{count} record" if count == 1 else f"{count} records"
                reply = Reply(kind="notice", lines=[self.content.messages.forget_done.replace("{records}", records)])
                return TurnResult([reply], "forget")

            await turn.save(decided.state.model_dump(mode="json"))
            for effect in decided.effects:
                if isinstance(effect, RecordFeedback):
                    await turn.add_feedback(effect.step_id, effect.useful)
                elif isinstance(effect, RecordMisread):
                    await turn.add_misread(effect.first_guess, effect.final)
                elif isinstance(effect, RecordEscalation):
                    await turn.add_escalation(effect.topic)
            return TurnResult(decided.replies, decided.event, decided.first_move, decided.effects)


def _parse(data: dict | None) -> tuple[ConversationState, bool]:
    """The stored state, or a fresh one and True if it no longer parses."""
    if data is None:
        return ConversationState(), False
    try:
        return ConversationState.model_validate(data), False
    except ValidationError:
        return ConversationState(), True
