"""Alembic environment for the vending service: runs on the connection it is handed."""

from alembic import context

from vending_service.pictures.tables import metadata as pictures_metadata
from vending_service.quotas.sql import metadata as quota_metadata

config = context.config
context.configure(
    connection=config.attributes["connection"],
    target_metadata=[pictures_metadata, quota_metadata],
    version_table=config.attributes["version_table"],
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
