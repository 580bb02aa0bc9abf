"""The storage schema, generated from the entity declarations.

One table per entity, one column per declared field (named by
``mspcrm.domain.entity.snake``), UDF values in one JSON column, references as
foreign keys, case-insensitive indexes on ``lower(text)``. Plus the few tables
the server itself needs: picklist values, UDF definitions, API credentials.

Substring search (``contains``, ``beginsWith``, ``endsWith``) on the text fields
an entity names in ``search_fields`` is served by a trigram index: on PostgreSQL
a ``pg_trgm`` GIN index on ``lower(column)`` (declared here, PostgreSQL only), on
SQLite an FTS5 ``trigram`` table per entity (``SEARCH_INDEXES``; created and kept
current by triggers in the migrations, outside SQLAlchemy's metadata).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mspcrm.domain.entities import ENTITIES
from mspcrm.domain.entity import Entity, snake
from mspcrm.domain.fields import (
    Boolean,
    DateTime,
    Double,
    Field,
    Flag,
    Integer,
    Kind,
    Long,
    Short,
    Text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UDF_COLUMN = "udf"


def column_type(kind: Kind) -> sa.types.TypeEngine[Any]:
    if isinstance(kind, Flag):
        return sa.SmallInteger()
    if isinstance(kind, Long):
        return sa.BigInteger()
    if isinstance(kind, Short | Integer):
        return sa.Integer()
    if isinstance(kind, Double):
        return sa.Double()
    if isinstance(kind, Boolean):
        return sa.Boolean()
    if isinstance(kind, DateTime):
        return sa.DateTime()
    if isinstance(kind, Text):
        return sa.String(kind.length) if kind.length else sa.Text()
    raise TypeError(f"no column type for {kind!r}")


def _by_name(name: str) -> Entity:
    return next(e for e in ENTITIES if e.name == name)


def _column(entity: Entity, f: Field) -> sa.Column[object]:
    name = snake(f.name)
    if f.name == "id":
        return sa.Column(name, ID_TYPE, primary_key=True, autoincrement=True)
    args: list[sa.ForeignKey] = []
    target = _by_name(f.reference).table if f.reference else None
    # companies <-> company_locations would be a cycle: that one is checked by the services
    if target and not (target == "company_locations" and entity.table == "companies"):
        parent_link = entity.parent is not None and entity.parent.field == f.name
        args.append(
            sa.ForeignKey(f"{target}.id", ondelete="RESTRICT" if parent_link else "SET NULL")
        )
    return sa.Column(name, column_type(f.kind), *args, nullable=True)


TRIGRAM = 3  # characters in a trigram: shorter patterns cannot use a trigram index


@dataclass(frozen=True)
class SearchIndex:
    """An entity's trigram-indexed text columns; on SQLite the FTS5 table holding them."""

    table: str
    columns: tuple[str, ...]

    @property
    def fts_table(self) -> str:
        return f"{self.table}_fts"

    @property
    def sqlite_tables(self) -> tuple[str, ...]:
        """The FTS5 table and its shadow tables (external content: no ``_content``)."""
        shadows = ("data", "idx", "docsize", "config")
        return (self.fts_table, *(f"{self.fts_table}_{s}" for s in shadows))

    @property
    def sqlite_triggers(self) -> tuple[str, ...]:
        return tuple(f"{self.fts_table}_{event}" for event in ("insert", "delete", "update"))

    @property
    def postgresql_indexes(self) -> tuple[str, ...]:
        return tuple(f"ix_{self.table}_{column}_trgm" for column in self.columns)


def _search_index(entity: Entity) -> SearchIndex | None:
    """The text fields a free-text search looks in, for the entities clients create.

    Reference data (countries) and the staff list (resources) stay small; a field
    shorter than a trigram can never contain a pattern the index could serve.
    """
    if not (entity.can_create and entity.api_writable):
        return None
    fields = [entity.require(name) for name in entity.search_fields]
    columns = tuple(
        snake(f.name)
        for f in fields
        if isinstance(f.kind, Text) and not f.udf and not 0 < f.kind.length < TRIGRAM
    )
    return SearchIndex(entity.table, columns) if columns else None


def _indexes(entity: Entity, table: sa.Table) -> None:
    names = dict.fromkeys((*entity.indexed, *(f.name for f in entity.fields if f.reference)))
    for name in names:
        f = entity.require(name)
        column = table.c[snake(f.name)]
        expression = sa.func.lower(column) if f.is_text else column
        sa.Index(f"ix_{entity.table}_{snake(f.name)}", expression)
    search = SEARCH_INDEXES.get(entity.table)
    if search is None:
        return
    for name, index_name in zip(search.columns, search.postgresql_indexes, strict=True):
        sa.Index(
            index_name,
            sa.func.lower(table.c[name]).label(name),
            postgresql_using="gin",
            postgresql_ops={name: "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql")


def _entity_table(entity: Entity) -> sa.Table:
    columns = [_column(entity, f) for f in entity.fields]
    if entity.has_udfs:
        columns.append(sa.Column(UDF_COLUMN, JSON_TYPE, nullable=True))
    table = sa.Table(entity.table, metadata, *columns)
    _indexes(entity, table)
    return table


SEARCH_INDEXES: dict[str, SearchIndex] = {
    index.table: index for index in map(_search_index, ENTITIES) if index is not None
}
ENTITY_TABLES: dict[str, sa.Table] = {e.name: _entity_table(e) for e in ENTITIES}

SQLITE_SEARCH_TABLES = frozenset(t for i in SEARCH_INDEXES.values() for t in i.sqlite_tables)
POSTGRESQL_ONLY_INDEXES = frozenset(
    n for i in SEARCH_INDEXES.values() for n in i.postgresql_indexes
)


def comparable(name: str | None, type_: str, _parents: Any) -> bool:
    """Alembic ``include_name``: leave the SQLite FTS5 tables out of schema comparisons."""
    return not (type_ == "table" and name in SQLITE_SEARCH_TABLES)


picklist_values = sa.Table(
    "picklist_values",
    metadata,
    sa.Column("picklist", sa.String(100), primary_key=True),
    sa.Column("value", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("is_default", sa.Boolean(), nullable=False, default=False),
    sa.Column("sort_order", sa.Integer(), nullable=False, default=0),
    sa.Column("is_active", sa.Boolean(), nullable=False, default=True),
    sa.Column("is_system", sa.Boolean(), nullable=False, default=False),
    sa.Column("parent_value", sa.String(50), nullable=False, default=""),
)

udf_definitions = sa.Table(
    "udf_definitions",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(50), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("name_key", sa.String(100), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("length", sa.Integer(), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("description", sa.String(500), nullable=False, default=""),
    sa.Column("is_required", sa.Boolean(), nullable=False, default=False),
    sa.Column("default_value", sa.String(500), nullable=True),
    sa.Column("picklist_values", JSON_TYPE, nullable=True),
    sa.Column("sort_order", sa.Integer(), nullable=False, default=0),
    sa.UniqueConstraint("entity", "name_key", name="uq_udf_definitions_entity_name"),
)

api_credentials = sa.Table(
    "api_credentials",
    metadata,
    sa.Column(
        "resource_id",
        ID_TYPE,
        sa.ForeignKey("resources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("username", sa.String(254), nullable=False),
    sa.Column("username_key", sa.String(254), nullable=False, unique=True),
    sa.Column("integration_code_hash", sa.String(64), nullable=False),  # HMAC-SHA256, hex
    sa.Column("secret_hash", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
)


def entity_table(entity: Entity) -> sa.Table:
    return ENTITY_TABLES[entity.name]


entity_history = sa.Table(
    "entity_history",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(50), nullable=False),
    sa.Column("record_id", sa.BigInteger(), nullable=False),
    sa.Column("op", sa.String(10), nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("resource_id", sa.BigInteger(), nullable=True),
    sa.Column("api_user_id", sa.BigInteger(), nullable=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("context", sa.String(100), nullable=True),
    sa.Column("changes", JSON_TYPE, nullable=False),
    sa.Index("ix_entity_history_record", "entity", "record_id", "id"),
)

merge_log = sa.Table(
    "merge_log",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(50), nullable=False),
    sa.Column("keep_id", sa.BigInteger(), nullable=False),
    sa.Column("other_id", sa.BigInteger(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("resource_id", sa.BigInteger(), nullable=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("undone_at", sa.DateTime(), nullable=True),
    sa.Column("changes", JSON_TYPE, nullable=False),
    sa.Index("ix_merge_log_records", "entity", "keep_id"),
)

match_keys = sa.Table(
    "match_keys",
    metadata,
    sa.Column("entity", sa.String(50), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("record_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Index("ix_match_keys_record", "entity", "record_id"),
)

import_jobs = sa.Table(
    "import_jobs",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(50), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(500), nullable=False, default=""),
    sa.Column("update_existing", sa.Boolean(), nullable=False, default=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("last_row", sa.BigInteger(), nullable=False, default=0),
    sa.Column("created", sa.BigInteger(), nullable=False, default=0),
    sa.Column("updated", sa.BigInteger(), nullable=False, default=0),
    sa.Column("unchanged", sa.BigInteger(), nullable=False, default=0),
    sa.Column("skipped", sa.BigInteger(), nullable=False, default=0),
    sa.Column("errors", sa.BigInteger(), nullable=False, default=0),
    sa.Column("started_at", sa.DateTime(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.Column("finished_at", sa.DateTime(), nullable=True),
    sa.Column("resource_id", sa.BigInteger(), nullable=True),
    sa.Index("ix_import_jobs_fingerprint", "entity", "fingerprint"),
)

# ---- security levels, request limits, failed sign-ins (shared by every server process) ----
security_levels = sa.Table(
    "security_levels",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("rights", JSON_TYPE, nullable=False),  # entity name (or "*") -> "crud" letters
    sa.Column("can_impersonate", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    # the level's operation rights, comma separated: import, export (migration 0011)
    sa.Column("operations", sa.String(100), nullable=False, server_default=""),
)

request_counts = sa.Table(
    "request_counts",
    metadata,
    sa.Column("minute", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("count", sa.BigInteger(), nullable=False),
)

request_slots = sa.Table(
    "request_slots",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Double(), nullable=False),
    sa.Index("ix_request_slots_scope", "scope", "expires_at"),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(80), nullable=False),
    sa.Column("at", sa.Double(), nullable=False),
    sa.Index("ix_login_failures_key", "key", "at"),
)

# ---- who may call: keys of the server, and a counter every revoking change bumps ----------
server_keys = sa.Table(
    "server_keys",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("secret", sa.String(128), nullable=False),  # hex; created on first use
    sa.Column("created_at", sa.DateTime(), nullable=False),
)

# One row (id 1), bumped by database triggers (migration 0012) whenever a resource's
# ``is_active`` or ``security_level`` changes, a credential row changes or goes, or a
# security level is defined, redefined or removed: every process compares it per request.
auth_generation = sa.Table(
    "auth_generation",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("generation", sa.BigInteger(), nullable=False),
)

agent_writes = sa.Table(
    "agent_writes",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("tool", sa.String(60), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("agent", sa.String(100), nullable=False),
    sa.Column("on_behalf_of", sa.String(200), nullable=True),
    sa.Column("entity", sa.String(50), nullable=True),
    sa.Column("record_id", sa.BigInteger(), nullable=True),
    sa.Column("result", sa.JSON(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("finished_at", sa.DateTime(), nullable=True),
    sa.Index("ix_agent_writes_record", "entity", "record_id"),
)

installation_settings = sa.Table(
    "installation_settings",
    metadata,
    sa.Column("name", sa.String(60), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
)

# ---- the web pages: sign-in passwords and server-side sessions ----------------------------
web_passwords = sa.Table(
    "web_passwords",
    metadata,
    sa.Column(
        "resource_id",
        ID_TYPE,
        sa.ForeignKey("resources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # sha256 of the cookie's value
    sa.Column(
        "resource_id",
        ID_TYPE,
        sa.ForeignKey("resources.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=False),
    sa.Index("ix_web_sessions_resource", "resource_id"),
)

# ---- webhooks: per-webhook state, the outbox of callouts, the event feed (docs/webhooks.md) ----
webhook_state = sa.Table(
    "webhook_state",
    metadata,
    sa.Column("webhook_entity", sa.String(50), primary_key=True),
    sa.Column("webhook_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("secret_key", sa.String(64), nullable=True),  # write-only: never read back out
    sa.Column("last_sequence", sa.BigInteger(), nullable=False, default=0),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.Double(), nullable=True),
    sa.Column("failures", sa.Integer(), nullable=False, default=0),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("webhook_entity", sa.String(50), nullable=False),
    sa.Column("webhook_id", sa.BigInteger(), nullable=False),
    sa.Column("action", sa.String(12), nullable=False),
    sa.Column("guid", sa.String(100), nullable=False),
    sa.Column("url", sa.String(500), nullable=True),  # a Deactivated callout's, fixed when queued
    sa.Column("entity_type", sa.String(50), nullable=False),
    sa.Column("record_id", sa.BigInteger(), nullable=False),
    sa.Column("fields", JSON_TYPE, nullable=False),
    sa.Column("person_id", sa.BigInteger(), nullable=True),
    sa.Column("event_time", sa.DateTime(), nullable=False),
    sa.Column("sequence_number", sa.BigInteger(), nullable=True),
    sa.Column("body", sa.Text(), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("next_attempt_at", sa.Double(), nullable=False, default=0),
    sa.Column("delivered_at", sa.DateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Index("ix_webhook_deliveries_sequence", "webhook_entity", "webhook_id", "sequence_number"),
    sa.Index("ix_webhook_deliveries_status", "status", "next_attempt_at"),
)

event_feed = sa.Table(
    "event_feed",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("sequence_number", sa.BigInteger(), nullable=True, unique=True),
    sa.Column("action", sa.String(12), nullable=False),
    sa.Column("entity_type", sa.String(50), nullable=False),
    sa.Column("record_id", sa.BigInteger(), nullable=False),
    sa.Column("fields", JSON_TYPE, nullable=False),
    sa.Column("person_id", sa.BigInteger(), nullable=True),
    sa.Column("event_time", sa.DateTime(), nullable=False),
)
