"""integration codes as keyed hashes, a server key, the revocation counter and its triggers

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-08 01:30:00

* ``server_keys``: secrets of the server (the HMAC key of integration codes), created on
  first use; this migration creates the key when it has rows to convert.
* ``api_credentials.integration_code`` (plain text) becomes ``integration_code_hash``
  (HMAC-SHA256 with that key, hex): existing rows are converted here.
* ``auth_generation``: one row bumped by triggers whenever something that decides who may
  call changes (a resource's ``is_active`` or ``security_level``, a credential row, a
  security level), so every server process drops its cached credentials on its next
  request. The triggers live outside SQLAlchemy's metadata: a later migration that
  recreates ``resources``, ``api_credentials`` or ``security_levels`` on SQLite (batch
  mode) must create them again (``create_triggers`` below).

The login limiter keeps using ``login_failures`` (keys are now HMACs of the user and the
address, and of the address alone): no schema change, old rows simply age out.
"""

import hashlib
import hmac
import secrets
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE_KEY = "integration-codes"
WATCHED = {  # table -> the SQLite trigger events that change who may call
    "resources": (
        "UPDATE OF is_active, security_level",
        "DELETE",
    ),
    "api_credentials": ("UPDATE", "DELETE"),
    "security_levels": ("INSERT", "UPDATE", "DELETE"),
}
PG_EVENTS = {
    "resources": "UPDATE OF is_active, security_level OR DELETE",
    "api_credentials": "UPDATE OR DELETE",
    "security_levels": "INSERT OR UPDATE OR DELETE",
}
SQLITE_BUMP = (
    "INSERT OR IGNORE INTO auth_generation (id, generation) VALUES (1, 0); "
    "UPDATE auth_generation SET generation = generation + 1 WHERE id = 1;"
)
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mspcrm_bump_auth_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_generation (id, generation) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET generation = auth_generation.generation + 1;
    RETURN NULL;
END
$$
"""


def _trigger_name(table: str, event: str) -> str:
    return f"{table}_auth_{event.split()[0].lower()}"


def create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for table, statement_events in PG_EVENTS.items():
            op.execute(
                f"CREATE TRIGGER {table}_auth AFTER {statement_events} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mspcrm_bump_auth_generation()"
            )
        return
    for table, events in WATCHED.items():
        for event in events:
            when = ""
            if table == "resources" and event.startswith("UPDATE"):
                when = (
                    " WHEN OLD.is_active IS NOT NEW.is_active"
                    " OR OLD.security_level IS NOT NEW.security_level"
                )
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table}"
                f"{when} BEGIN {SQLITE_BUMP} END"
            )


def drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        for table in PG_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_auth ON {table}")
        op.execute("DROP FUNCTION IF EXISTS mspcrm_bump_auth_generation()")
        return
    for table, events in WATCHED.items():
        for event in events:
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table, event)}")


def _code_key(conn: sa.Connection, keys: sa.Table) -> bytes:
    found = conn.execute(sa.select(keys.c.secret).where(keys.c.name == CODE_KEY)).scalar()
    if found is None:
        found = secrets.token_hex(32)
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(sa.insert(keys).values(name=CODE_KEY, secret=found, created_at=now))
    return bytes.fromhex(found)


def _hash_codes(conn: sa.Connection, keys: sa.Table) -> None:
    """Plain integration codes -> HMAC-SHA256 hex, in place (before the column is renamed)."""
    credentials = sa.table(
        "api_credentials", sa.column("resource_id"), sa.column("integration_code")
    )
    rows = conn.execute(sa.select(credentials.c.resource_id, credentials.c.integration_code))
    plain = list(rows)
    if not plain:
        return
    key = _code_key(conn, keys)
    for resource_id, code in plain:
        digest = hmac.new(key, str(code).strip().encode(), hashlib.sha256).hexdigest()
        conn.execute(
            sa.update(credentials)
            .where(credentials.c.resource_id == resource_id)
            .values(integration_code=digest)
        )


def upgrade() -> None:
    conn = op.get_bind()
    keys = op.create_table(
        "server_keys",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_keys")),
    )
    op.create_table(
        "auth_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_generation")),
    )
    op.execute("INSERT INTO auth_generation (id, generation) VALUES (1, 0)")
    _hash_codes(conn, keys)
    with warnings.catch_warnings():  # SQLite reflection skips the lower() indexes of resources
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        with op.batch_alter_table("api_credentials") as batch:
            batch.alter_column(
                "integration_code",
                new_column_name="integration_code_hash",
                existing_type=sa.String(length=100),
                type_=sa.String(length=64),
                existing_nullable=False,
            )
    create_triggers(conn.dialect.name)


def downgrade() -> None:
    """The plain codes cannot come back: every API user needs a new integration code."""
    conn = op.get_bind()
    drop_triggers(conn.dialect.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        with op.batch_alter_table("api_credentials") as batch:
            batch.alter_column(
                "integration_code_hash",
                new_column_name="integration_code",
                existing_type=sa.String(length=64),
                type_=sa.String(length=100),
                existing_nullable=False,
            )
    op.drop_table("auth_generation")
    op.drop_table("server_keys")
