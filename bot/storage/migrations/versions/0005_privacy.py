"""Privacy: polls that never store a choice per person, and an audit log without text.

Poll votes (`nudge_votes`: a user id beside a choice) become totals per choice
(`poll_tallies`) and, while a poll is open, a hash per voter with no choice
(`poll_voters`). Existing votes are added into the totals and then dropped; no
person-to-choice row survives the upgrade. `audit_events` and
`escalation_counts` are the audit log (`leadbot audit`).

Revision ID: 0005_privacy
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_privacy"
down_revision = "0004"
branch_labels = None
depends_on = None


def _poll_key() -> list[sa.Column]:
    return [
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(128), primary_key=True),
        sa.Column("channel_id", sa.String(256), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "poll_voters",
        *_poll_key(),
        sa.Column("voter_hash", sa.String(40), primary_key=True),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "poll_tallies",
        *_poll_key(),
        sa.Column("choice", sa.String(16), primary_key=True),
        sa.Column("votes", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_poll_tallies_updated_at", "poll_tallies", ["updated_at"])
    # Keep the totals people have seen; drop who voted which way.
    op.execute(
        "INSERT INTO poll_tallies (platform, workspace_id, channel_id, week, choice, votes, updated_at) "
        "SELECT platform, workspace_id, channel_id, week, choice, COUNT(*), MAX(voted_at) FROM nudge_votes "
        "GROUP BY platform, workspace_id, channel_id, week, choice"
    )
    op.drop_index("ix_nudge_votes_voted_at", table_name="nudge_votes")
    op.drop_table("nudge_votes")

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("platform", sa.String(16), nullable=True),
        sa.Column("workspace_id", sa.String(128), nullable=True),
        sa.Column("channel_id", sa.String(256), nullable=True),
        sa.Column("actor", sa.String(128), nullable=True),
        sa.Column("count", sa.Integer, nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_kind", "audit_events", ["kind", "at"])
    op.create_table(
        "escalation_counts",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("topic", sa.String(64), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("escalation_counts")
    op.drop_index("ix_audit_events_kind", table_name="audit_events")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
    # The choices per person are gone for good; the old table comes back empty.
    op.create_table(
        "nudge_votes",
        *_poll_key(),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("choice", sa.String(16), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_nudge_votes_voted_at", "nudge_votes", ["voted_at"])
    op.drop_index("ix_poll_tallies_updated_at", table_name="poll_tallies")
    op.drop_table("poll_tallies")
    op.drop_table("poll_voters")
