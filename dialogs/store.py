"""What the dialogs need from storage, and an in-memory implementation for tests.

`bot.storage.sql_store.SqlStore` is the real one (SQLite or PostgreSQL). Every
key carries platform and workspace so that one organisation never sees
another's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from dialogs.models import ConversationKey


class StateConflict(Exception):
    """Someone else saved this conversation since we loaded it (another replica, a double click)."""


class StoreUnavailable(Exception):
    """The database cannot be reached right now. Callers answer kindly and try again later."""


@dataclass
class StoredState:
    data: dict[str, Any]
    version: int
    updated_at: datetime


class Turn(Protocol):
    """One conversation turn inside a single transaction: what was stored, and the writes it makes."""

    state: StoredState | None

    async def save(self, data: dict[str, Any]) -> None: ...

    async def forget_user(self) -> int: ...

    async def add_feedback(self, step_id: str, useful: bool) -> None: ...

    async def add_misread(self, first_guess: str, final: str) -> None: ...

    async def add_escalation(self, topic: str) -> None: ...

    async def language(self) -> str | None:
        """The person's own language choice ("cy", "en"), or None if they never made one."""
        ...

    async def set_language(self, code: str) -> None:
        """Remember the person's language choice: only the code, in their settings ("forget me" deletes it)."""
        ...


class Store(Protocol):
    def turn(self, key: ConversationKey, event_id: str | None) -> AsyncContextManager[Turn | None]:
        """Claim the delivery and open the conversation, all in one transaction.

        Yields None when the event id was seen before (a platform retry). If the body
        raises, nothing is written, the claim included, so the platform's retry is handled.
        """
        ...

    async def load_state(self, key: ConversationKey) -> StoredState | None: ...

    async def save_state(self, key: ConversationKey, data: dict[str, Any], expected_version: int | None) -> int:
        """Save and return the new version; raise StateConflict if the stored version moved on."""
        ...

    async def delete_state(self, key: ConversationKey) -> None: ...

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        """Delete every row held about this user; return how many went."""
        ...

    async def add_feedback(self, platform: str, workspace_id: str, step_id: str, useful: bool) -> None: ...

    async def add_misread(self, platform: str, workspace_id: str, first_guess: str, final: str) -> None: ...

    async def claim_event(self, platform: str, workspace_id: str, event_id: str) -> bool:
        """True the first time an event id is seen, False on any repeat (across replicas)."""
        ...

    async def release_event(self, platform: str, workspace_id: str, event_id: str) -> None:
        """Undo a claim when handling failed, so the platform's retry is processed."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


class _MemoryTurn:
    def __init__(self, store: MemoryStore, key: ConversationKey):
        self.store, self.key = store, key
        self.state = store.states.get(key)
        self.writes: list = []

    async def save(self, data: dict[str, Any]) -> None:
        self.writes.append(lambda: self.store._put(self.key, data))

    async def forget_user(self) -> int:
        k = self.key
        return await self.store.forget_user(k.platform, k.workspace_id, k.user_id)

    async def add_feedback(self, step_id: str, useful: bool) -> None:
        k = self.key
        self.writes.append(
            lambda: self.store._count(self.store.feedback, (k.platform, k.workspace_id, step_id, useful))
        )

    async def add_misread(self, first_guess: str, final: str) -> None:
        k = self.key
        self.writes.append(
            lambda: self.store._count(self.store.misreads, (k.platform, k.workspace_id, first_guess, final))
        )

    async def add_escalation(self, topic: str) -> None:
        k = self.key
        self.writes.append(lambda: self.store._count(self.store.escalations, (k.platform, topic)))

    async def language(self) -> str | None:
        return self.store.languages.get(_person(self.key))

    async def set_language(self, code: str) -> None:
        self.writes.append(lambda: self.store.languages.__setitem__(_person(self.key), code))


def _person(key: ConversationKey) -> tuple[str, str, str]:
    return (key.platform, key.workspace_id, key.user_id)


class Forgets(Protocol):
    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int: ...


class MemoryStore:
    """A Store in a dict, for dialog tests and the console when asked for no persistence.

    "forget me" reaches the other memory stores it is given (`also_forget`), as the SQL
    store's reaches every table that declares what it holds about a person.
    """

    def __init__(self, also_forget: list[Forgets] | None = None) -> None:
        self.also_forget = also_forget or []
        self.states: dict[ConversationKey, StoredState] = {}
        self.feedback: dict[tuple[str, str, str, bool], int] = {}
        self.misreads: dict[tuple[str, str, str, str], int] = {}
        self.escalations: dict[tuple[str, str], int] = {}  # (platform, topic) -> how many: never who
        self.events: dict[tuple[str, str, str], datetime] = {}
        self.languages: dict[tuple[str, str, str], str] = {}  # a person's language choice, as user_settings holds it
        self._lock = asyncio.Lock()  # one turn at a time, as a database transaction would

    @contextlib.asynccontextmanager
    async def turn(self, key: ConversationKey, event_id: str | None) -> AsyncIterator[_MemoryTurn | None]:
        async with self._lock:
            if event_id:
                claim = (key.platform, key.workspace_id, event_id)
                if claim in self.events:
                    yield None
                    return
            turn = _MemoryTurn(self, key)
            yield turn
            # Only a turn that finished writes anything: like a committed transaction.
            if event_id:
                self.events[(key.platform, key.workspace_id, event_id)] = _now()
            for write in turn.writes:
                write()

    def _put(self, key: ConversationKey, data: dict[str, Any]) -> None:
        current = self.states.get(key)
        self.states[key] = StoredState(data=data, version=(current.version if current else 0) + 1, updated_at=_now())

    @staticmethod
    def _count(counts: dict, k: tuple) -> None:
        counts[k] = counts.get(k, 0) + 1

    async def load_state(self, key: ConversationKey) -> StoredState | None:
        return self.states.get(key)

    async def save_state(self, key: ConversationKey, data: dict[str, Any], expected_version: int | None) -> int:
        current = self.states.get(key)
        if (current.version if current else None) != expected_version:
            raise StateConflict(key)
        version = (expected_version or 0) + 1
        self.states[key] = StoredState(data=data, version=version, updated_at=_now())
        return version

    async def delete_state(self, key: ConversationKey) -> None:
        self.states.pop(key, None)

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        doomed = [
            k for k in self.states if (k.platform, k.workspace_id, k.user_id) == (platform, workspace_id, user_id)
        ]
        for k in doomed:
            del self.states[k]
        if self.languages.pop((platform, workspace_id, user_id), None) is not None:
            doomed.append(None)  # the settings row, counted as the SQL store counts it
        others = [await store.forget_user(platform, workspace_id, user_id) for store in self.also_forget]
        return len(doomed) + sum(others)

    async def add_feedback(self, platform: str, workspace_id: str, step_id: str, useful: bool) -> None:
        k = (platform, workspace_id, step_id, useful)
        self.feedback[k] = self.feedback.get(k, 0) + 1

    async def add_misread(self, platform: str, workspace_id: str, first_guess: str, final: str) -> None:
        k = (platform, workspace_id, first_guess, final)
        self.misreads[k] = self.misreads.get(k, 0) + 1

    async def claim_event(self, platform: str, workspace_id: str, event_id: str) -> bool:
        k = (platform, workspace_id, event_id)
        if k in self.events:
            return False
        self.events[k] = _now()
        return True

    async def release_event(self, platform: str, workspace_id: str, event_id: str) -> None:
        self.events.pop((platform, workspace_id, event_id), None)

    def purge(self, now: datetime, retention_days: int) -> int:
        cutoff = now - timedelta(days=retention_days)
        old = [k for k, v in self.states.items() if v.updated_at < cutoff]
        for k in old:
            del self.states[k]
        return len(old)
