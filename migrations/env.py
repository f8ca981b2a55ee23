"""Alembic environment: runs on the connection that `screening.storage.migrate` hands over."""

from alembic import context
from sqlmodel import SQLModel

import screening.storage.tables  # noqa: F401  (registers the tables on the metadata)

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
