"""Alembic environment: runs on the connection mspcrm hands it (see store/migrate.py)."""

from alembic import context

from mspcrm.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
