"""Storage: the migrations match the declarations, on both engines; SQLite settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mspcrm.domain.entities import ENTITIES
from mspcrm.domain.entity import snake
from mspcrm.services.crm import Services
from mspcrm.store.migrate import current_revisions, head_revisions
from mspcrm.store.schema import POSTGRESQL_ONLY_INDEXES, comparable, metadata


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::sqlalchemy.exc.SAWarning")
def test_migrations_match_the_declarations(services: Services) -> None:
    with services.db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": comparable}
        )
        diff = compare_metadata(context, metadata)
    assert diff == []
    assert current_revisions(services.db.engine) == head_revisions()


def test_every_declared_index_exists(services: Services) -> None:
    """Expression indexes (lower(text)) are not compared by alembic: check them by name."""
    declared = {index.name for table in metadata.tables.values() for index in table.indexes}
    if services.db.dialect == "sqlite":
        declared -= POSTGRESQL_ONLY_INDEXES
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    with services.db.read() as conn:
        present = {row[0] for row in conn.exec_driver_sql(query)}
    assert declared <= present


def test_every_declared_field_has_its_column(services: Services) -> None:
    inspector = sa.inspect(services.db.engine)
    for entity in ENTITIES:
        columns = {c["name"] for c in inspector.get_columns(entity.table)}
        assert {snake(f.name) for f in entity.fields} <= columns, entity.name


def test_column_names_come_from_one_rule() -> None:
    assert snake("ownerResourceID") == "owner_resource_id"
    assert snake("isTaskFireActive") == "is_task_fire_active"
    assert snake("sicCode") == "sic_code"
    assert snake("billToCompanyLocationID") == "bill_to_company_location_id"


def test_sqlite_pragmas(services: Services) -> None:
    if services.db.dialect != "sqlite":
        return
    with services.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("SELECT lower('ÉCOLE')").scalar() == "école"


def test_upgrade_is_idempotent(services: Services) -> None:
    from mspcrm.store.migrate import upgrade

    upgrade(services.db)
    upgrade(services.db)
    with services.db.read() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM companies WHERE id = 0").scalar()
    assert count == 1
