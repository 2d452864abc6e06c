"""Property-based tests of Conversations: whatever people send, in whatever order, the bot answers sanely.

Hypothesis drives several people in several conversations, on two platforms
and two workspaces that share user and conversation ids, through any sequence
of texts and presses: the choices the bot really offered, the ones it offered
earlier (stale), ones from somebody else's conversation, random values and
tokens, typed numbers and labels, repeated deliveries. After every turn:

- the turn never fails inside (an exception would come back as event "error");
- every reply is a valid `Reply` with something to say, and a reply is given
  unless the delivery was a repeat;
- the buttons the bot just showed are the ones stored as live;
- every stored state still validates as a `ConversationState`;
- no other person's, workspace's or platform's conversation changed, and
  "forget me" removed exactly that person's conversations in that workspace.

Run with the MemoryStore and with the real SqlStore on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.conversation import Conversations
from dialogs.models import ChoicePress, ConversationKey, Inbound, Reply
from dialogs.state import ConversationState
from dialogs.store import MemoryStore

PLATFORMS = ("slack", "teams")
WORKSPACES = ("W1", "W2")
USERS = ("U1", "U2")
CONVERSATIONS = ("C1", "C2")
N_KEYS = len(PLATFORMS) * len(WORKSPACES) * len(USERS) * len(CONVERSATIONS)

PROBLEMS = [
    "my team keeps missing deadlines and nobody owns the backlog",
    "half the team still think we're doing the old triage",
    "they do what I ask but nobody believes in the new rota",
    "nobody knows why we are changing the referral process and morale is low",
    "everyone fills in the handover sheet differently so things get dropped",
    "I check every piece of work myself and the team has stopped deciding anything",
    "my team is struggling and I don't know where to start",
]
TEXTS = st.one_of(
    st.sampled_from(PROBLEMS),
    st.sampled_from([*PROBLEMS, "help", "forget me", "1", "2", "3"]),
    st.sampled_from(
        [
            "",
            "   ",
            "help",
            "HELP!!",
            "forget me",
            "what do you store?",
            "hello",
            "thanks",
            "1",
            "2",
            "4.",
            "0",
            "99",
            "Why?",
            "my team keeps missing deadlines and nobody owns the backlog",
            "half the team still think we're doing the old triage",
            "they do what I ask but nobody believes in the new rota",
            "one of my team says a colleague is bullying her",
            "I think someone on my team may be at risk of self-harm",
            "nudge on",
            "the handovers between shifts are patchy " * 1200,  # ~48 KB: cut to 40,000 on the way in
            "x" * 40_001,
            "\x00\x07\x1b[31m",
            "\ud800 lone surrogate",
            "\U0001f44d\U0001f389 \u202e\u0635\u0628\u0627\u062d",
            "<@U0BOT> <!channel> &amp; <https://example.org|a link>",
        ]
    ),
    st.text(max_size=200),
)
RANDOM_VALUES = st.one_of(
    st.sampled_from(
        ["", "why", "done", "not_quite", "another_step", "useful:yes", "quiz:lead", "poll:2025-W14:meaning"]
    ),
    st.text(max_size=200),
)
RANDOM_TOKENS = st.one_of(st.none(), st.text(max_size=64))

LIVE = st.tuples(st.just("live"), st.integers(0, 9))  # a choice the bot is offering now, pressed
ACTIONS = st.tuples(
    # Mostly the first conversation, so that conversations get somewhere; now and then any of the others.
    st.sampled_from([0] * 12 + [1, 4, 8] * 2 + list(range(N_KEYS))),
    st.one_of(
        st.tuples(st.just("text"), st.sampled_from(PROBLEMS)),
        LIVE,
        st.tuples(st.just("text"), TEXTS),
        LIVE,
        st.tuples(st.just("text"), st.sampled_from(PROBLEMS)),
        LIVE,
        st.tuples(st.just("typed"), st.integers(0, 9), st.booleans()),  # ... or its number / label typed
        st.tuples(st.just("earlier"), st.integers(0, 10_000), st.integers(0, 9)),  # any button ever shown, anywhere
        st.tuples(st.just("random"), RANDOM_VALUES, RANDOM_TOKENS, st.booleans()),
    ),
    st.sampled_from([None] * 8 + ["ev-1", "ev-2"]),  # a platform delivery id, repeated now and then
)

PROPERTY = settings(
    max_examples=25,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def keys(namespace: str) -> list[ConversationKey]:
    return [
        ConversationKey(platform=p, workspace_id=f"{namespace}{w}", user_id=u, conversation_id=c)
        for p, w, u, c in itertools.product(PLATFORMS, WORKSPACES, USERS, CONVERSATIONS)
    ]


@dataclass
class Shown:
    key: ConversationKey
    reply: Reply


@dataclass
class Run:
    conversations: Conversations
    store: object
    keys: list[ConversationKey]
    shown: list[Shown] = field(default_factory=list)  # every reply with buttons, in order
    claimed: set = field(default_factory=set)

    async def states(self) -> dict[ConversationKey, dict | None]:
        out = {}
        for k in self.keys:
            stored = await self.store.load_state(k)
            out[k] = None if stored is None else stored.data
        return out

    async def inbound(self, key: ConversationKey, action: tuple, event_id: str | None) -> tuple[Inbound, bool]:
        """The Inbound for an action, and whether it presses a choice that is live right now."""
        kind = action[0]
        if kind == "text":
            return Inbound(key=key, surface="dm", text=action[1], event_id=event_id), False
        stored = await self.store.load_state(key)
        state = ConversationState.model_validate(stored.data) if stored else ConversationState()
        if kind in ("live", "typed") and state.prompt and state.live:
            choice = state.live[action[1] % len(state.live)]
            if kind == "live":
                return Inbound(
                    key=key,
                    surface="button",
                    choice=ChoicePress(value=choice.value, token=state.prompt),
                    event_id=event_id,
                ), True
            typed = str(state.live.index(choice) + 1) if action[2] else choice.label
            return Inbound(key=key, surface="dm", text=typed, event_id=event_id), True
        if kind == "earlier" and self.shown:
            old = self.shown[action[1] % len(self.shown)].reply
            choice = old.choices[action[2] % len(old.choices)]
            live = state.prompt == old.choice_token and any(c.value == choice.value for c in state.live)
            return Inbound(
                key=key,
                surface="button",
                choice=ChoicePress(value=choice.value, token=old.choice_token),
                event_id=event_id,
            ), live
        if kind == "random":
            _, value, token, use_live_token = action
            token = state.prompt if use_live_token else token
            return Inbound(
                key=key,
                surface="button",
                choice=ChoicePress(value=value[:200], token=token[:64] if token else None),
                event_id=event_id,
            ), False
        return Inbound(
            key=key, surface="dm", text="", event_id=event_id
        ), False  # nothing live to press: an empty message

    async def step(self, key_index: int, action: tuple, event_id: str | None) -> None:
        key = self.keys[key_index]
        inbound, pressing_live = await self.inbound(key, action, event_id)
        before = await self.states()
        result = await self.conversations.handle(inbound)
        after = await self.states()

        assert result.event not in ("error", "conflict", "unavailable"), f"the turn failed inside: {result.event}"
        claim = (key.platform, key.workspace_id, event_id)
        repeat = event_id is not None and claim in self.claimed
        if event_id is not None:
            self.claimed.add(claim)
        if repeat:
            assert result.event == "duplicate" and result.replies == [] and after == before, (
                "a repeated delivery does nothing"
            )
            return
        assert result.replies, f"no reply to {action[0]!r} (event {result.event})"
        if pressing_live:
            assert result.event not in ("stale", "state_reset"), "a choice the bot is offering right now was refused"

        for reply in result.replies:
            assert Reply.model_validate(reply.model_dump()) == reply
            assert reply.plain_text().strip(), "every reply says something"
            if reply.choices:
                assert reply.choice_token, "buttons always carry the token of their prompt"
                assert all(c.label.strip() and c.value for c in reply.choices)
                assert len({c.value for c in reply.choices}) == len(reply.choices)
                self.shown.append(Shown(key, reply))

        for data in after.values():
            if data is not None:
                ConversationState.model_validate(data)  # every stored state still reads back
        with_buttons = [r for r in result.replies if r.choices]
        if with_buttons and result.event != "forget":
            state = ConversationState.model_validate(after[key])
            assert state.prompt == with_buttons[-1].choice_token
            assert [c.value for c in state.live] == [c.value for c in with_buttons[-1].choices]

        same_person = lambda k: (k.platform, k.workspace_id, k.user_id) == (key.platform, key.workspace_id, key.user_id)  # noqa: E731
        for k in self.keys:
            if result.event == "forget" and same_person(k):
                assert after[k] is None, "forget me leaves nothing of that person in that workspace"
            elif k != key:
                assert after[k] == before[k], f"a turn in {key} changed {k}"


async def run(conversations: Conversations, store, namespace: str, actions) -> None:
    r = Run(conversations, store, keys(namespace))
    for key_index, action, event_id in actions:
        await r.step(key_index, action, event_id)


@PROPERTY
@given(actions=st.lists(ACTIONS, min_size=4, max_size=14))
async def test_any_sequence_of_messages_and_presses_with_the_memory_store(dialog, actions):
    store = MemoryStore()
    await run(Conversations(dialog, store), store, "", actions)


@settings(PROPERTY, max_examples=15)
@given(actions=st.lists(ACTIONS, min_size=4, max_size=12))
async def test_any_sequence_of_messages_and_presses_with_the_sql_store(dialog, sql_store, actions):
    # sql_store (conftest): SQLite and the real PostgreSQL. One database for every example;
    # each example gets workspaces of its own.
    await run(Conversations(dialog, sql_store), sql_store, uuid.uuid4().hex[:8], actions)


@settings(PROPERTY, max_examples=15)
@given(
    value=st.text(max_size=300),
    token=st.one_of(st.none(), st.text(max_size=100)),
    text=st.one_of(st.none(), st.text(max_size=300)),
)
async def test_a_press_is_never_mistaken_for_typing_and_never_fails(dialog, value, token, text):
    """An Inbound with both a press and text (an adapter that filled both) is answered as a press."""
    store = MemoryStore()
    conversations = Conversations(dialog, store)
    key = ConversationKey(platform="slack", workspace_id="W", user_id="U", conversation_id="C")
    [_first] = (
        await conversations.handle(
            Inbound(key=key, surface="dm", text="my team keeps missing deadlines and nobody owns the backlog")
        )
    ).replies
    result = await conversations.handle(
        Inbound(
            key=key,
            surface="button",
            text=text,
            choice=ChoicePress(value=value[:200], token=token[:64] if token else None),
        )
    )
    assert result.event not in ("error", "conflict")
    assert result.replies and all(r.plain_text().strip() for r in result.replies)
    ConversationState.model_validate(store.states[key].data)
