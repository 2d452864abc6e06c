"""Teams conversation references in our database, keyed by platform "teams", tenant and conversation.

A reference is what a proactive send needs (service URL, conversation id, the
bot's id); we keep ids only, never names or text. Personal chats also remember
that the welcome was sent, so a reinstall does not greet again.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from botbuilder.schema import ConversationReference
from sqlalchemy import and_, delete, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import transaction
from bot.storage.tables import teams_conversations
from bot.teams.inbound import Place

PLATFORM = "teams"
KNOWN_MAX = 10_000  # references this process already saved: skips a write per message


def _now() -> datetime:
    return datetime.now(UTC)


def _pk(tenant_id: str, conversation_id: str):
    t = teams_conversations.c
    return and_(t.platform == PLATFORM, t.workspace_id == tenant_id, t.conversation_id == conversation_id)


class ReferenceStore:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._known: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def save(self, place: Place, reference: ConversationReference) -> None:
        """Insert or refresh the reference for this chat or channel (the welcome marker is kept)."""
        data = reference.serialize()
        values = {
            "scope": place.scope,
            "user_id": place.user_id if place.scope == "personal" else None,
            "team_id": place.team_id if place.scope == "channel" else None,
            "reference": data,
            "updated_at": _now(),
        }
        stmt = self._insert(teams_conversations).values(
            platform=PLATFORM, workspace_id=place.tenant_id, conversation_id=place.home_id, **values
        )
        stmt = stmt.on_conflict_do_update(index_elements=["platform", "workspace_id", "conversation_id"], set_=values)
        async with transaction(self.engine) as conn:
            await conn.execute(stmt)
        self._remember(place, reference)

    async def remember(self, place: Place, reference: ConversationReference) -> None:
        """Save unless this process already saved the same reference (messages arrive far more often than installs)."""
        if self._known.get((place.tenant_id, place.home_id)) == reference.service_url:
            self._known.move_to_end((place.tenant_id, place.home_id))
            return
        await self.save(place, reference)

    def _remember(self, place: Place, reference: ConversationReference) -> None:
        self._known[(place.tenant_id, place.home_id)] = reference.service_url or ""
        self._known.move_to_end((place.tenant_id, place.home_id))
        while len(self._known) > KNOWN_MAX:
            self._known.popitem(last=False)

    def forget_cached(self, place: Place) -> None:
        """After "forget me": the row may be gone, so the next message must save it again."""
        self._known.pop((place.tenant_id, place.home_id), None)

    async def claim_welcome(self, tenant_id: str, conversation_id: str) -> bool:
        """True exactly once per personal chat, across replicas and duplicate install events."""
        t = teams_conversations.c
        async with transaction(self.engine) as conn:
            result = await conn.execute(
                update(teams_conversations)
                .where(_pk(tenant_id, conversation_id), t.welcomed_at.is_(None))
                .values(welcomed_at=_now())
            )
        return result.rowcount == 1

    async def get(self, tenant_id: str, conversation_id: str) -> ConversationReference | None:
        t = teams_conversations.c
        async with transaction(self.engine) as conn:
            row = (await conn.execute(select(t.reference).where(_pk(tenant_id, conversation_id)))).first()
        return ConversationReference().deserialize(row.reference) if row and row.reference else None

    async def find_personal(self, tenant_id: str, user_id: str) -> ConversationReference | None:
        t = teams_conversations.c
        query = (
            select(t.reference)
            .where(
                t.platform == PLATFORM,
                t.workspace_id == tenant_id,
                t.user_id == user_id,
                t.scope == "personal",
                t.reference.is_not(None),
            )
            .order_by(t.updated_at.desc())
            .limit(1)
        )
        async with transaction(self.engine) as conn:
            row = (await conn.execute(query)).first()
        return ConversationReference().deserialize(row.reference) if row else None

    async def remove_channel(self, place: Place) -> int:
        """One channel was deleted (the rest of the team keeps the app)."""
        self._known.pop((place.tenant_id, place.home_id), None)
        async with transaction(self.engine) as conn:
            result = await conn.execute(delete(teams_conversations).where(_pk(place.tenant_id, place.home_id)))
        return result.rowcount or 0

    async def remove(self, place: Place) -> int:
        """The app left this chat, channel or team: forget how to reach it. Returns rows changed."""
        t = teams_conversations.c
        self._known.pop((place.tenant_id, place.home_id), None)
        async with transaction(self.engine) as conn:
            if place.scope == "personal":
                # Keep only the welcome marker, so reinstalling does not greet again ("forget me" removes it too).
                result = await conn.execute(
                    update(teams_conversations)
                    .where(_pk(place.tenant_id, place.home_id))
                    .values(reference=null(), updated_at=_now())
                )
                return result.rowcount or 0
            removed = (
                await conn.execute(delete(teams_conversations).where(_pk(place.tenant_id, place.home_id)))
            ).rowcount or 0
            if place.scope == "channel" and place.team_id:
                team = await conn.execute(
                    delete(teams_conversations).where(
                        t.platform == PLATFORM, t.workspace_id == place.tenant_id, t.team_id == place.team_id
                    )
                )
                removed += team.rowcount or 0
        # Another process may hold the removed channels in its cache; it re-saves on the next message, which is right.
        self._known = OrderedDict(
            (k, v) for k, v in self._known.items() if k[0] != place.tenant_id or place.scope != "channel"
        )
        return removed
