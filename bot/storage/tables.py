"""Every table leadbot keeps, in one place so the README's storage table can be checked against it.

Tables holding anything about a person set `info={"user_column": ...}`; "forget
me" deletes from every such table, so a new table cannot be forgotten by it.
Every key starts with platform and workspace (Slack team or Teams tenant).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Index

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

conversation_state = Table(
    "conversation_state",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("conversation_id", String(256), primary_key=True),
    Column("state", JSON, nullable=False),  # dialogs.state.ConversationState: labels and ids, never text
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_conversation_state_updated_at", "updated_at"),
    info={"user_column": "user_id", "purpose": "where each conversation is up to"},
)

feedback_counts = Table(
    "feedback_counts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("step_id", String(64), primary_key=True),
    Column("useful", Integer, nullable=False, default=0),
    Column("not_useful", Integer, nullable=False, default=0),
    info={"purpose": "was this useful? counts per next step; no user, no text"},
)

misread_counts = Table(
    "misread_counts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("first_guess", String(64), primary_key=True),
    Column("final", String(64), primary_key=True),
    Column("count", Integer, nullable=False, default=0),
    info={"purpose": "first guess vs the quick test's answer after 'not quite'; no user, no text"},
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("event_id", String(200), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_processed_events_seen_at", "seen_at"),
    info={"purpose": "platform delivery ids, so a retried event is answered once"},
)

user_settings = Table(
    "user_settings",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("settings", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    info={"user_column": "user_id", "purpose": "a manager's own settings"},
)

# --- Microsoft Teams (bot.teams) ------------------------------------------------------------
teams_conversations = Table(
    "teams_conversations",
    metadata,
    Column("platform", String(16), primary_key=True),  # always "teams"
    Column("workspace_id", String(128), primary_key=True),  # tenant id
    Column("conversation_id", String(256), primary_key=True),  # personal chat, channel (no ;messageid=) or group chat
    Column("scope", String(16), nullable=False),  # personal | channel | groupChat
    Column("user_id", String(128), nullable=True),  # the person, for personal chats only (AAD object id)
    Column("team_id", String(256), nullable=True),  # for channels: removing the app from the team removes them all
    # botbuilder ConversationReference as JSON: ids and the service URL, never names or text.
    # NULL once the app is removed from a personal chat; the row then only remembers the welcome.
    Column("reference", JSON, nullable=True),
    Column("welcomed_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_teams_conversations_user", "platform", "workspace_id", "user_id"),
    Index("ix_teams_conversations_team", "platform", "workspace_id", "team_id"),
    info={"user_column": "user_id", "purpose": "Teams conversation references, so replies and nudges can reach a chat or channel later"},
)
