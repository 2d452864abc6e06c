"""Conversation state, feedback and misread counts, delivery receipts, user settings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

KEY = ("platform", "workspace_id")


def _key() -> list[sa.Column]:
    return [sa.Column("platform", sa.String(16), primary_key=True), sa.Column("workspace_id", sa.String(128), primary_key=True)]


def upgrade() -> None:
    op.create_table(
        "conversation_state",
        *_key(),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("conversation_id", sa.String(256), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_conversation_state_updated_at", "conversation_state", ["updated_at"])
    op.create_table(
        "feedback_counts",
        *_key(),
        sa.Column("step_id", sa.String(64), primary_key=True),
        sa.Column("useful", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_useful", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "misread_counts",
        *_key(),
        sa.Column("first_guess", sa.String(64), primary_key=True),
        sa.Column("final", sa.String(64), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "processed_events",
        *_key(),
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_processed_events_seen_at", "processed_events", ["seen_at"])
    op.create_table(
        "user_settings",
        *_key(),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("user_settings", "processed_events", "misread_counts", "feedback_counts", "conversation_state"):
        op.drop_table(table)
