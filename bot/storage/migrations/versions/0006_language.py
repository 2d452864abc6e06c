"""Cymraeg: the language of each channel's weekly nudge.

A person's own language needs no column: it is one more key in `user_settings.settings`
(just the code, "cy" or "en"), which "forget me" already deletes.

Revision ID: 0006_language
Revises: 0005_privacy
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_language"
down_revision = "0005_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "en", "cy" or "bilingual" (Welsh first). Channels subscribed before this migration keep English.
    with op.batch_alter_table("nudge_subscriptions") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("nudge_subscriptions") as batch:
        batch.drop_column("language")
