"""The coaching conversation's logic: one inbound message or button press to the right flow.

`Dialog.handle` is pure: given an `Inbound` and the conversation's state it
returns a `DialogResult` (replies, the new state and effects for the store).
It never raises for anything a user can send; `dialogs.conversation` wraps it
with storage.
"""

from __future__ import annotations

import re

from dialogs.content_loader import Content
from dialogs.diagnosis.types import Diagnoser, Diagnosis
from dialogs.dialog_result import (
    DialogResult,
    ForgetUser,
    RecordEscalation,
    RecordFalseAlarm,
    RecordFeedback,
    RecordMisread,
    with_choices,
)
from dialogs.flows import coach, info, quiz
from dialogs.flows.escalation import escalation_reply, offers_way_back
from dialogs.models import Choice, Inbound, Reply
from dialogs.situations import situations_in
from dialogs.state import ConversationState, LiveChoice, Quiz, Snapshot

DIGIT = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


class Dialog:
    def __init__(
        self,
        content: Content,
        diagnoser: Diagnoser,
        retention_days: int = 30,
        audit_days: int = info.DEFAULT_AUDIT_DAYS,
    ):
        self.content = content
        self.diagnoser = diagnoser
        self.retention_days = retention_days
        self.audit_days = audit_days

    # --- entry point -------------------------------------------------------

    def handle(
        self, inbound: Inbound, state: ConversationState, read: Diagnosis | None = None, owned: bool = False
    ) -> DialogResult:
        """One turn. `read`: the message's diagnosis if the caller already has it (see `read_ahead`).

        The turn changes a copy of `state`, unless `owned`: the caller hands over a state that is its
        own and that it will not use again (a turn's, parsed from the store for it), and a deep copy
        of it was a measurable share of a busy turn's time."""
        if not owned:
            state = state.model_copy(deep=True)
        if inbound.choice is not None:
            return self._press(inbound.choice.value, inbound.choice.token, state)
        text = inbound.text or ""
        typed = self._typed_choice(text, state)
        if typed is not None:
            return self._press(typed, state.prompt, state)
        return self._text(text, state, read)

    def read_ahead(self, inbound: Inbound) -> Diagnosis | None:
        """The diagnosis `handle` will most likely need, worked out before the stored state is read.

        It depends only on the text, so a caller can do it before opening the turn's transaction and
        hold the database for less time. None for a press or a typed choice number; a typed button
        label is still read (wasted, and harmless: `handle` then takes it as the press).
        """
        if inbound.choice is not None or DIGIT.match(inbound.text or ""):
            return None
        return self.diagnoser.diagnose(inbound.text or "")

    def resume(self, state: ConversationState) -> DialogResult:
        """Show the conversation where it is now: the live diagnosis or quiz question, with fresh buttons."""
        state = state.model_copy(deep=True)
        if state.stage == "quiz" and state.quiz is not None:
            q = quiz.question(self.content, state.quiz)
            return DialogResult([self._live(q, state, q.choices)], state, event="resume")
        if state.snapshot is not None:
            reply = coach.replay_reply(self.content, state.snapshot)
            state.stage, state.quiz = "offered", None
            return DialogResult([self._live(reply, state, coach.coaching_choices(self.content))], state, event="resume")
        return DialogResult(
            [Reply(kind="info", lines=[self.content.messages.greeting])], ConversationState(), event="resume"
        )

    def switched(self, state: ConversationState) -> DialogResult:
        """The person chose this dialog's language: say so, and show where the conversation is, in it."""
        resumed = self.resume(state)
        note = Reply(kind="notice", lines=[self.content.say("switched")])
        return DialogResult([note, *resumed.replies], resumed.state, event="language")

    # --- free text ---------------------------------------------------------

    def _typed_choice(self, text: str, state: ConversationState) -> str | None:
        """A number or a button's label typed instead of pressed counts as the press."""
        if not state.live:
            return None
        m = DIGIT.match(text)
        if m:
            n = int(m.group(1))
            return state.live[n - 1].value if 1 <= n <= len(state.live) else None
        folded = text.strip().strip(".!?").casefold()
        if not folded:
            return None
        for live in state.live:
            label = live.label.strip(".!?").casefold()
            # The whole label, or its first clause: "not quite" stands for "Not quite, ask me questions".
            if folded in (label, label.split(",")[0].strip()):
                return live.value
        return None

    def _text(self, text: str, state: ConversationState, read: Diagnosis | None = None) -> DialogResult:
        d = read if read is not None else self.diagnoser.diagnose(text)
        if d.first_move == "escalate" and not d.sensitive_terms and state.second_look:
            # The manager has told us the last escalation was a false alarm: read this one again
            # with the term list alone deciding escalation.
            d = self.diagnoser.diagnose(text, second_look=True)
        if d.first_move == "escalate":
            # Escalation wins over everything, including a quiz in progress.
            fresh = ConversationState()
            counted = RecordEscalation(d.topic if d.topic and d.topic_sure else "unsure")
            reply = escalation_reply(self.content, d.topic, d.topic_sure, d.topic_alternatives)
            if offers_way_back(self.content, d, self.diagnoser.ask_below, reply):
                # It may be a false alarm: the manager gets a way to say so (the message itself is
                # never coached either way). README, "When it is a false alarm".
                label = self.content.escalation.not_sensitive.label
                reply = self._live(reply, fresh, [Choice(label=label, value="not_sensitive")])
            return DialogResult([reply], fresh, [counted], event="escalation", first_move="escalate")
        if d.first_move == "none":
            return self._none(d, state, text)
        # What the message says about the team's circumstances, as ids: the advice is fitted to it.
        situations = situations_in(self.content, text)
        if d.confidence < self.diagnoser.ask_below:
            return self._start_quiz(
                state, first_guess=None, pattern=d.pattern, seed=d.seed, unsure=True, situations=situations
            )
        snap = Snapshot(
            first_move=d.first_move,
            problem=d.problem,  # type: ignore[arg-type]
            both=d.both,
            pattern=d.pattern,
            confidence=d.confidence,
            signal_ids=d.signals,
            seed=d.seed,
            situations=situations,
        )
        return self._offer(snap, ConversationState(), event="diagnosis")

    def _none(self, d: Diagnosis, state: ConversationState, text: str) -> DialogResult:
        if d.intent == "forget":
            return DialogResult([], ConversationState(), [ForgetUser()], event="forget")
        if d.intent == "vague":
            situations = situations_in(self.content, text)
            return self._start_quiz(
                state, first_guess=None, pattern=None, seed=d.seed, unsure=True, situations=situations
            )
        reply = info.none_reply(self.content, d.intent, self.retention_days, self.audit_days)
        # Greetings and thanks leave a live prompt alone: the manager can still press its buttons.
        return DialogResult([reply], state, event="info", first_move="none")

    # --- button presses ----------------------------------------------------

    def _press(self, value: str, token: str | None, state: ConversationState) -> DialogResult:
        if state.prompt is None or token != state.prompt or value not in {c.value for c in state.live}:
            return self._stale(state)
        if value.startswith("quiz:") and state.quiz is not None:
            return self._quiz_answer(value, state)
        if value == "not_sensitive":
            # Counted in the audit log's escalation counts and the turn metrics, so false alarms can be
            # seen over time; no text kept.
            reply = Reply(kind="notice", lines=[self.content.escalation.not_sensitive.reply])
            state = ConversationState(second_look=True)
            return DialogResult([reply], state, [RecordFalseAlarm()], event="not_sensitive")
        snap = state.snapshot
        if value == "done" and snap:
            return self._done(state)
        if value == "not_quite" and snap:
            return self._start_quiz(
                state,
                first_guess=_label(snap),
                pattern=snap.pattern,
                seed=snap.seed,
                unsure=False,
                situations=snap.situations,
            )
        if value == "another_step" and snap:
            return self._another(state)
        if value == "why" and snap:
            reply = coach.why_reply(self.content, snap)
            return DialogResult([self._live(reply, state, coach.coaching_choices(self.content))], state, event="why")
        if value in ("useful:yes", "useful:no") and snap:
            return self._feedback(state, value == "useful:yes")
        return self._stale(state)

    def _stale(self, state: ConversationState) -> DialogResult:
        """An old or repeated press: say so, and offer the choices that are live now."""
        reply = Reply(kind="notice", lines=[self.content.messages.stale_choice])
        if state.prompt and state.live:
            reply = reply.model_copy(
                update={
                    "choices": [Choice(label=c.label, value=c.value) for c in state.live],
                    "choice_token": state.prompt,
                }
            )
        return DialogResult([reply], state, event="stale")

    def _done(self, state: ConversationState) -> DialogResult:
        labels = self.content.messages.choice_labels
        reply = Reply(kind="notice", lines=[self.content.messages.done, self.content.messages.feedback_question])
        choices = [
            Choice(label=labels["useful_yes"], value="useful:yes"),
            Choice(label=labels["useful_no"], value="useful:no"),
        ]
        state.stage = "feedback"
        return DialogResult([self._live(reply, state, choices)], state, event="done")

    def _feedback(self, state: ConversationState, useful: bool) -> DialogResult:
        snap = state.snapshot
        effects = []
        if snap and snap.step_ids and snap.step_ids[-1] not in state.rated:
            effects.append(RecordFeedback(step_id=snap.step_ids[-1], useful=useful))
            state.rated.append(snap.step_ids[-1])
        state.stage = "idle"
        state.prompt, state.live = None, []
        return DialogResult(
            [Reply(kind="notice", lines=[self.content.messages.feedback_thanks])], state, effects, event="feedback"
        )

    def _another(self, state: ConversationState) -> DialogResult:
        snap = state.snapshot
        assert snap is not None
        reply = coach.another_step_reply(self.content, snap)
        if reply is None:
            labels = self.content.messages.choice_labels
            reply = Reply(kind="notice", lines=[self.content.messages.no_more_steps])
            choices = [Choice(label=labels["not_quite"], value="not_quite"), Choice(label=labels["done"], value="done")]
            return DialogResult([self._live(reply, state, choices)], state, event="another_step")
        return DialogResult(
            [self._live(reply, state, coach.coaching_choices(self.content))], state, event="another_step"
        )

    # --- the quick test ----------------------------------------------------

    def _start_quiz(
        self,
        state: ConversationState,
        first_guess: str | None,
        pattern: str | None,
        seed: int,
        unsure: bool,
        situations: list[str],
    ) -> DialogResult:
        started = Quiz(first_guess=first_guess, pattern=pattern, seed=seed, situations=list(situations))
        new = ConversationState(
            stage="quiz", quiz=started, snapshot=state.snapshot if not unsure else None, rated=state.rated
        )
        q = quiz.question(self.content, started)
        return DialogResult([self._live(q, new, q.choices)], new, event="quiz")

    def _quiz_answer(self, value: str, state: ConversationState) -> DialogResult:
        assert state.quiz is not None
        result = quiz.answer(state.quiz, value)
        if result is None:
            return self._stale(state)
        answers = [*state.quiz.answers, value]
        if isinstance(result, Quiz):
            state.quiz = result.model_copy(update={"answers": answers})
            q = quiz.question(self.content, state.quiz)
            return DialogResult([self._live(q, state, q.choices)], state, event="quiz")
        snap = result
        snap.situations = list(state.quiz.situations)
        snap.quiz_answers = answers
        pattern = self.content.patterns.get(snap.pattern or "")
        if pattern and pattern.id != "specialist_promoted" and pattern.first_move != snap.first_move:
            snap.pattern = None  # the answers moved away from what the pattern implies
        effects = []
        guess = state.quiz.first_guess
        if guess and guess != _label(snap):
            effects.append(RecordMisread(first_guess=guess, final=_label(snap)))
        # After "not quite" the manager has seen a reply already: never show it again. Either the
        # answers give a different reading, or they confirm the first one and get a new angle and step.
        before = state.snapshot if guess else None
        lead_in: list[str] = []
        if guess:
            lead_in = [
                self.content.messages.quiz_confirms if guess == _label(snap) else self.content.messages.quiz_changes
            ]
        out = self._offer(
            snap,
            ConversationState(rated=state.rated),
            event="quiz_result",
            lead_in=lead_in,
            shown_steps=before.step_ids if before else [],
            shown_principles=_shown_principles(before) if before else [],
        )
        out.effects.extend(effects)
        return out

    # --- helpers -----------------------------------------------------------

    def _offer(
        self,
        snap: Snapshot,
        state: ConversationState,
        event: str,
        lead_in: list[str] | None = None,
        shown_steps: list[str] = (),
        shown_principles: list[str] = (),
    ) -> DialogResult:
        reply = coach.first_reply(self.content, snap, lead_in, list(shown_steps), list(shown_principles))
        state.stage, state.snapshot, state.quiz = "offered", snap, None
        return DialogResult(
            [self._live(reply, state, coach.coaching_choices(self.content))],
            state,
            event=event,
            first_move=snap.first_move,
        )

    def _live(self, reply: Reply, state: ConversationState, choices: list[Choice]) -> Reply:
        state.live = [LiveChoice(value=c.value, label=c.label) for c in choices]
        return with_choices(reply, state, choices)


def _shown_principles(snap: Snapshot) -> list[str]:
    shown = list(snap.principle_ids)
    if snap.principle_id and snap.principle_id not in shown:
        shown.append(snap.principle_id)
    return shown


def _label(snap: Snapshot) -> str:
    """`lead/uncertainty`, with `+both` when both were needed: what misread counts compare."""
    return f"{snap.first_move}/{snap.problem}" + ("+both" if snap.both else "")
