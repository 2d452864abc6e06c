"""OAuth installs for many workspaces: slack_sdk's async SQLAlchemy stores on our own tables.

The tables are slack_sdk's models declared in bot.storage.tables and created by
our Alembic migration; these subclasses only point the stores at them, so the
SDK reads and writes exactly as it would on tables it created itself.
"""

from __future__ import annotations

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import and_, desc, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from bot.slack.manifest import bot_scopes
from bot.storage import tables

STATE_SECONDS = 600  # an install started but not finished is forgotten after ten minutes


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    @classmethod
    def build_installations_table(cls, metadata, table_name):
        return tables.slack_installations

    @classmethod
    def build_bots_table(cls, metadata, table_name):
        return tables.slack_bots

    async def bot_token_for(self, workspace_id: str) -> str | None:
        """The newest bot token for a workspace (a team, or an organisation for org-wide installs)."""
        c = self.bots.c
        query = (
            select(c.bot_token)
            .where(
                and_(
                    c.client_id == self.client_id,
                    c.bot_token.is_not(None),
                    or_(c.team_id == workspace_id, and_(c.team_id.is_(None), c.enterprise_id == workspace_id)),
                )
            )
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return row.bot_token if row else None


class OAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    @classmethod
    def build_oauth_states_table(cls, metadata, table_name):
        return tables.slack_oauth_states


def installation_store(settings: Settings, engine: AsyncEngine) -> InstallationStore:
    assert settings.slack_client_id
    return InstallationStore(client_id=settings.slack_client_id, engine=engine)


def oauth_settings(settings: Settings, engine: AsyncEngine, store: InstallationStore) -> AsyncOAuthSettings:
    """Bolt's OAuth flow: /slack/install and /slack/oauth_redirect, asking for the manifest's scopes."""
    assert settings.slack_client_id and settings.slack_client_secret
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=bot_scopes(),
        user_scopes=[],
        installation_store=store,
        installation_store_bot_only=True,  # as the App's: Bolt warns at every start when the two differ
        state_store=OAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
        state_expiration_seconds=STATE_SECONDS,
    )
