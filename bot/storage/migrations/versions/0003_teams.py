"""Teams conversation references (bot.teams.references).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(128), primary_key=True),
        sa.Column("conversation_id", sa.String(256), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("team_id", sa.String(256), nullable=True),
        sa.Column("reference", sa.JSON, nullable=True),
        sa.Column("welcomed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_teams_conversations_user", "teams_conversations", ["platform", "workspace_id", "user_id"])
    op.create_index("ix_teams_conversations_team", "teams_conversations", ["platform", "workspace_id", "team_id"])


def downgrade() -> None:
    op.drop_table("teams_conversations")
