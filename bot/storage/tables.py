"""Every table leadbot keeps, in one place so the README's storage table can be checked against it.

Tables holding anything about a person set `info={"user_column": ...}`; "forget
me" deletes that person's rows from every such table, so a new table cannot be
forgotten by it. A table whose rows belong to someone else but name a person
also lists `info["forget_scrubs"]`: those columns are emptied instead.
Every key starts with platform and workspace (Slack team or Teams tenant).
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Time

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

# --- Slack installations (OAuth, many workspaces) ------------------------------
# slack_sdk's own table models, built on our metadata so that Alembic creates them
# and bot.slack.installation points slack_sdk's async SQLAlchemy stores at them.
# They belong to the workspace, not to a person: "forget me" leaves them alone
# (no user_column); they go when the app is uninstalled (Slack's app_uninstalled).

slack_installations = SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
slack_installations.info["purpose"] = "Slack installation tokens for each workspace that installed leadbot"
slack_installations.info["forget_note"] = (
    "kept: it belongs to the workspace (it names the Slack user who installed leadbot); deleted when leadbot is uninstalled"
)
slack_bots = SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
slack_bots.info["purpose"] = "the bot token for each workspace, as slack_sdk keeps it"
slack_bots.info["forget_note"] = (
    "kept: it belongs to the workspace (it names the Slack user who installed leadbot); deleted when leadbot is uninstalled"
)
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
slack_oauth_states.info["purpose"] = "one-time OAuth state values while an install is in progress (10 minutes)"

# --- weekly nudges (dialogs.nudges, bot.nudges) ------------------------------------------------

nudge_subscriptions = Table(
    "nudge_subscriptions",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("channel_id", String(256), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 = Monday ... 4 = Friday
    Column("local_time", Time, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("region", String(32), nullable=False),  # england-and-wales | scotland | northern-ireland
    Column("language", String(16), nullable=False, server_default="en"),  # en | cy | bilingual (Welsh first)
    # Who turned nudges on, shown to the channel. The row belongs to the channel, so
    # "forget me" empties these two columns (info["forget_scrubs"]) rather than deleting it.
    Column("turned_on_by", String(128), nullable=True),
    Column("turned_on_by_name", String(128), nullable=True),
    Column("turned_on_at", DateTime(timezone=True), nullable=True),
    Column("paused_at", DateTime(timezone=True), nullable=True),
    Column("paused_reason", String(64), nullable=True),  # the platform's error code, never text
    Column("updated_at", DateTime(timezone=True), nullable=False),
    info={
        "user_column": "turned_on_by",
        "forget_scrubs": ("turned_on_by", "turned_on_by_name"),
        "purpose": "which channels get the weekly nudge, when, and who turned it on",
    },
)

nudge_deliveries = Table(
    "nudge_deliveries",
    metadata,
    # The primary key is the guarantee: one row, so at most one nudge, per channel per week.
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("channel_id", String(256), primary_key=True),
    Column("week", String(8), primary_key=True),  # ISO week in the channel's timezone, "2025-W14"
    Column("status", String(16), nullable=False),  # sending | sent | retry | failed | skipped | unknown
    Column("nudge_id", String(64), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("day_ends_at", DateTime(timezone=True), nullable=True),  # no sending (or retrying) after this
    Column("claim_token", String(32), nullable=True),  # which claim may record the result
    Column("lease_until", DateTime(timezone=True), nullable=True),  # a 'sending' row older than this is unknown
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),  # retry: not before; unknown: look it up after
    Column("message_ref", String(128), nullable=True),  # Slack ts / Teams activity id, to show poll results
    Column("last_error", String(64), nullable=True),  # an error code, never text
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_nudge_deliveries_status", "status", "next_attempt_at"),
    Index("ix_nudge_deliveries_week", "week"),
    info={"purpose": "the delivery ledger: which nudge went to which channel in which week; no text, no users"},
)

# A poll never stores which way anyone voted: the totals per choice, and while the poll is open a
# one-way hash per voter (no choice beside it) so that nobody votes twice. The hashes go when the poll
# closes (SqlNudgeStore.purge); "forget me" finds a person's by hashing their id for each open poll.
poll_voters = Table(
    "poll_voters",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("channel_id", String(256), primary_key=True),
    Column("week", String(8), primary_key=True),
    Column("voter_hash", String(40), primary_key=True),  # dialogs.nudges.store.voter_hash: per poll, one way
    Column("voted_at", DateTime(timezone=True), nullable=False),
    info={"voter_hash_column": "voter_hash", "purpose": "who has voted in an open poll, hashed, without the choice"},
)

poll_tallies = Table(
    "poll_tallies",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace_id", String(128), primary_key=True),
    Column("channel_id", String(256), primary_key=True),
    Column("week", String(8), primary_key=True),
    Column("choice", String(16), primary_key=True),  # meaning | structure | about_right
    Column("votes", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_poll_tallies_updated_at", "updated_at"),
    info={"purpose": "poll totals per choice; no user, no text"},
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
    info={
        "user_column": "user_id",
        "purpose": "Teams conversation references, so replies and nudges can reach a chat or channel later",
    },
)

# --- the audit log (bot.storage.audit, `leadbot audit`) ---------------------------------------
# Who changed what and when, without anyone's words: fixed event names, ids, counts and setting
# names. Kept for LEADBOT_AUDIT_DAYS, then purged with the rest of retention.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),  # subscription | settings | content | forget_me | retention
    Column("action", String(32), nullable=False),  # nudge_on | nudge_off | schedule_changed | changed | ran ...
    Column("platform", String(16), nullable=True),
    Column("workspace_id", String(128), nullable=True),
    Column("channel_id", String(256), nullable=True),
    # The platform user id of who changed a channel's nudges; nothing else names a person. "forget me"
    # empties it (the event stays, as "someone").
    Column("actor", String(128), nullable=True),
    Column("count", Integer, nullable=True),  # rows forgotten or purged
    Column("detail", JSON, nullable=True),  # fixed vocabulary only: setting names, fingerprints, table counts
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_kind", "kind", "at"),
    info={
        "user_column": "actor",
        "forget_scrubs": ("actor",),
        "purpose": "the audit log: who changed a channel's nudges, settings and content changes, forget-me and retention runs",
    },
)

escalation_counts = Table(
    "escalation_counts",
    metadata,
    Column("day", Date, primary_key=True),  # UTC
    Column("platform", String(16), primary_key=True),
    # The topic id from content/escalation.yaml, or "unsure"; "said-not-sensitive" counts the escalations a
    # manager said were not a sensitive matter (dialogs.dialog_result.SAID_NOT_SENSITIVE).
    Column("topic", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
    info={
        "purpose": "how many messages were routed to people rather than coached, per topic per day; no user, no text"
    },
)
