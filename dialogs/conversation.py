"""One turn of a conversation with storage around it: load, let the dialog decide, save, apply effects.

The turn router (`bot.turns`) calls `Conversations.handle(inbound)` for every
message that is not a nudge command or poll vote. Failures a user can cause
never escape; a store that is down yields the kind "try again in a minute" reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pydantic import ValidationError

from dialogs import language
from dialogs.content_loader import Content
from dialogs.diagnosis.types import Diagnosis
from dialogs.dialog import Dialog
from dialogs.dialog_result import (
    SAID_NOT_SENSITIVE,
    DialogResult,
    ForgetUser,
    RecordEscalation,
    RecordFalseAlarm,
    RecordFeedback,
    RecordMisread,
)
from dialogs.flows.info import help_reply
from dialogs.models import ConversationKey, Inbound, Reply
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
    def __init__(self, dialog: Dialog, store: Store, default_language: str = "en"):
        self.dialog = dialog
        self.store = store
        self.content = dialog.content
        # One dialog per language the content has, sharing the diagnoser (see dialogs.language).
        self.dialogs = {
            code: dialog
            if code == dialog.content.language
            else Dialog(translated, dialog.diagnoser, dialog.retention_days, dialog.audit_days)
            for code, translated in (dialog.content.translations or {dialog.content.language: dialog.content}).items()
        }
        self.default_language = default_language if default_language in self.dialogs else dialog.content.language

    def _dialog(self, code: str | None) -> Dialog:
        return self.dialogs.get(code or "", self.dialogs[self.default_language])

    def guess(self, text: str | None, locale: str | None, stored: str | None = None) -> Content:
        """The content to answer in without reading the store (it may be down, or the turn refused):
        a message written in Welsh, else the person's choice if already known, their locale, the default."""
        code = (
            "cy"
            if language.looks_welsh(text)
            else language.fallback(stored=stored, locale=locale, default=self.default_language)
        )
        return self._dialog(code).content

    def _sorry(self, inbound: Inbound) -> Reply:
        """ "Try again in a minute", in the language the message or the platform suggests: the store may be down."""
        content = self.guess(inbound.text, inbound.locale)
        return Reply(kind="error", lines=[content.messages.unavailable], language=content.language)

    def sorry(self, inbound: Inbound) -> Reply:
        return self._sorry(inbound)

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
            return TurnResult([self._sorry(inbound)], "conflict")
        except StoreUnavailable:
            log.warning("store unavailable", extra={"platform": key.platform, "event": "unavailable"})
            return TurnResult([self._sorry(inbound)], "unavailable")
        except Exception:
            # A bug must not silence the bot; nothing was committed, so the platform's retry is handled.
            log.exception("turn failed", extra={"platform": key.platform})
            return TurnResult([self._sorry(inbound)], "error")

    async def choose_language(self, key: ConversationKey, code: str) -> None:
        """Remember a person's language as if they had said it (`leadbot chat --language cy`)."""
        if code in self.dialogs:
            async with self.store.turn(key, None) as turn:
                await turn.set_language(code)

    async def language_for(self, key: ConversationKey, locale: str | None = None) -> str:
        """The language this person would be answered in before they say anything (for a greeting)."""
        async with self.store.turn(key, None) as turn:
            stored = await turn.language()
        code = language.fallback(stored=stored, locale=locale, default=self.default_language)
        return code if code in self.dialogs else self.default_language

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
                return TurnResult(_in(self._dialog(state.language).resume(state), state.language).replies, "moved")
            state, _ = _parse(stored.data)
            decided = _in(self._dialog(state.language).resume(state), state.language or self.default_language)
            await self.store.save_state(
                target, decided.state.model_dump(mode="json"), existing.version if existing else None
            )
            await self.store.delete_state(source)
            return TurnResult(decided.replies, "moved")
        except (StoreUnavailable, StateConflict):
            return TurnResult(
                [Reply(kind="error", lines=[self._dialog(None).content.messages.unavailable])], "unavailable"
            )

    async def _turn(self, inbound: Inbound, read: Diagnosis | None = None) -> TurnResult:
        async with self.store.turn(inbound.key, inbound.event_id) as turn:
            if turn is None:
                log.info("duplicate delivery ignored", extra={"platform": inbound.key.platform, "event": "duplicate"})
                return TurnResult([], "duplicate")
            state, lost = _parse(turn.state.data if turn.state else None)
            pressed = inbound.choice is not None
            switch = None if pressed else language.switch_request(inbound.text)
            if switch in self.dialogs:
                await turn.set_language(switch)  # remembered for the person, not just this conversation
                code = switch
            else:
                code = language.carried(text=inbound.text, pressed=pressed, conversation=state.language)
                if code not in self.dialogs:
                    code = language.fallback(
                        stored=await turn.language(), locale=inbound.locale, default=self.default_language
                    )
            dialog = self._dialog(code)
            content = dialog.content
            if lost and pressed:
                # The press belongs to a conversation we can no longer read (content or code changed).
                reset = Reply(kind="notice", lines=[content.messages.state_reset])
                decided = DialogResult([reset, help_reply(content)], ConversationState(), event="state_reset")
            elif switch in self.dialogs:
                decided = dialog.switched(state)
            else:
                # The diagnoser is shared: read in any language. `state` was parsed for this turn alone.
                decided = dialog.handle(inbound, state, read, owned=True)
            decided = _in(decided, content.language)

            if any(isinstance(e, ForgetUser) for e in decided.effects):
                count = await turn.forget_user()
                reply = Reply(
                    kind="notice",
                    lines=[content.messages.forget_done.replace("{records}", _records(content, count))],
                    language=content.language,
                )
                return TurnResult([reply], "forget")

            await turn.save(decided.state.model_dump(mode="json"))
            for effect in decided.effects:
                if isinstance(effect, RecordFeedback):
                    await turn.add_feedback(effect.step_id, effect.useful)
                elif isinstance(effect, RecordMisread):
                    await turn.add_misread(effect.first_guess, effect.final)
                elif isinstance(effect, RecordEscalation):
                    await turn.add_escalation(effect.topic)
                elif isinstance(effect, RecordFalseAlarm):
                    await turn.add_escalation(SAID_NOT_SENSITIVE)
            return TurnResult(decided.replies, decided.event, decided.first_move, decided.effects)


def _in(decided: DialogResult, code: str | None) -> DialogResult:
    """Mark the replies and the conversation with the language they are in."""
    if code:
        decided.state.language = code
        decided.replies = [r.model_copy(update={"language": code}) for r in decided.replies]
    return decided


def _records(content: Content, count: int) -> str:
    return content.say("record_one") if count == 1 else content.say("records", n=count)


def _parse(data: dict | None) -> tuple[ConversationState, bool]:
    """The stored state, or a fresh one and True if it no longer parses."""
    if data is None:
        return ConversationState(), False
    try:
        return ConversationState.model_validate(data), False
    except ValidationError:
        return ConversationState(), True
