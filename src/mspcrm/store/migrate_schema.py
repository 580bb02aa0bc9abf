"""Which schema holds a database's migration state.

On PostgreSQL the tables go to the first schema of the search path, and so must
``alembic_version``: otherwise a database whose search path also names ``public`` (where
pg_trgm's operators usually live) would read another installation's ``public.alembic_version``
and believe itself migrated.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection


def version_schema(conn: Connection) -> str | None:
    """The schema new tables go to (PostgreSQL), None for SQLite."""
    if conn.dialect.name != "postgresql":
        return None
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    return str(schema) if schema else None
