"""Weekly nudges: subscriptions, the delivery ledger (one row per channel per week), poll votes.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _key() -> list[sa.Column]:
    return [
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(128), primary_key=True),
        sa.Column("channel_id", sa.String(256), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "nudge_subscriptions",
        *_key(),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("local_time", sa.Time, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("turned_on_by", sa.String(128), nullable=True),
        sa.Column("turned_on_by_name", sa.String(128), nullable=True),
        sa.Column("turned_on_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_reason", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "nudge_deliveries",
        *_key(),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("nudge_id", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("day_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_ref", sa.String(128), nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_nudge_deliveries_status", "nudge_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_nudge_deliveries_week", "nudge_deliveries", ["week"])
    op.create_table(
        "nudge_votes",
        *_key(),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("choice", sa.String(16), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_nudge_votes_voted_at", "nudge_votes", ["voted_at"])


def downgrade() -> None:
    for table in ("nudge_votes", "nudge_deliveries", "nudge_subscriptions"):
        op.drop_table(table)
