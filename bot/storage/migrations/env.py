"""Alembic environment. leadbot runs migrations itself on start (see bot.storage.migrate);
this file is what Alembic calls with the connection it is given."""

from __future__ import annotations

from alembic import context

from bot.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `bot.storage.migrate.upgrade`, which passes a connection")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
