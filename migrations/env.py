"""Alembic environment: runs on the connection that `screening.migrate` hands over."""

from alembic import context

import screening.tables  # noqa: F401  (registers the tables on the metadata)
from sqlmodel import SQLModel

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
