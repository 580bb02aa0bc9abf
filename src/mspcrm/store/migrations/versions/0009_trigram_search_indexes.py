"""trigram search indexes for contains / beginsWith / endsWith

PostgreSQL: ``pg_trgm`` GIN indexes on ``lower(column)``, which the compiler's
``lower(column) LIKE lower(pattern)`` uses unchanged. Without the extension (it
cannot be created by this user) no index is made: the same queries, scanned.

SQLite: one FTS5 ``trigram`` table per entity over its searchable columns,
external content (the entity table itself, so no second copy of the text), kept
current by triggers so that every write path, bulk loads included, updates it, and
built here for the rows already stored. The compiler uses it as a pre-filter.

The tables and columns are those of ``mspcrm.store.schema.SEARCH_INDEXES`` at
this revision. A later revision that changes them, or that rebuilds one of these
entity tables (a SQLite batch operation copies the table and drops the old one,
and its triggers with it), must drop and recreate the FTS table and triggers
(``tests/test_search_index.py`` checks they match the declarations).

Revision ID: 0009
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0004"  # contact_roles (0004) has a search index too
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH = {
    "companies": ("company_name", "web_address", "phone", "city"),
    "contacts": ("first_name", "last_name", "email_address", "phone", "mobile_phone"),
    "company_locations": ("name", "city", "address1", "postal_code"),
    "opportunities": ("title",),
    "contracts": ("contract_name", "contract_number"),
    "company_notes": ("title", "description"),
    "contact_roles": ("notes",),
}
TRIGRAM_SQLITE = (3, 34, 0)


def _sqlite_statements(table: str, columns: Sequence[str]) -> list[str]:
    fts = f"{table}_fts"
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    add = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    remove = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
        "content_rowid='id', tokenize='trigram case_sensitive 0')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF id, {names} ON {table} "
        f"BEGIN {remove} {add} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _pg_trgm(bind: sa.Connection) -> bool:
    """Create the extension if it is missing and this user may; False when not."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return False
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        if not _pg_trgm(bind):
            return
        for table, columns in SEARCH.items():
            for column in columns:
                op.execute(
                    f"CREATE INDEX ix_{table}_{column}_trgm ON {table} "
                    f"USING gin (lower({column}) gin_trgm_ops)"
                )
    elif bind.dialect.name == "sqlite":
        if sqlite3.sqlite_version_info < TRIGRAM_SQLITE:
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} is too old: text search needs SQLite 3.34 "
                "or newer (FTS5 trigram tokenizer)"
            )
        for table, columns in SEARCH.items():
            for statement in _sqlite_statements(table, columns):
                op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for table, columns in SEARCH.items():
        if bind.dialect.name == "postgresql":
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
        elif bind.dialect.name == "sqlite":
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
