"""Alembic environment for the auth service: runs on the connection it is handed."""

from alembic import context

from auth_service.accounts.sql import metadata as accounts_metadata
from auth_service.keys.sql import metadata as keys_metadata
from auth_service.revocations.sql import metadata as revocations_metadata

config = context.config
context.configure(
    connection=config.attributes["connection"],
    target_metadata=[accounts_metadata, keys_metadata, revocations_metadata],
    version_table=config.attributes["version_table"],
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
